"""The keyboard in the browser tests: walk a page with Tab, and check each stop shows where it is.

``tab_walk(page)`` presses Tab from the top of the page until the focus comes round again and
returns every stop: what it is (tag, role, name), whether a focus indicator is drawn (an outline
or a box shadow that the unfocused element does not have), and whether the walk followed the
order of the page. ``expected_stops(page)`` lists what Tab should reach: every visible, enabled
control in document order (one radio button per group, as browsers do).
"""

# Describes the focused element, marking it so that the walk knows when it comes round again.
FOCUSED = """(n) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const seen = el.getAttribute('data-tab-stop');
  if (seen === null) el.setAttribute('data-tab-stop', String(n));
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const r = el.getBoundingClientRect();
  const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || el.id || '').trim();
  return {
    n: seen === null ? n : Number(seen), again: seen !== null,
    what: el.tagName.toLowerCase() + (el.type ? '[' + el.type + ']' : '') + ' "' + name.slice(0, 40) + '"',
    visible_focus: outline || shadow,
    on_screen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
      && r.top < window.innerHeight && r.left < window.innerWidth,
  };
}"""

EXPECTED = """() => {
  const selector = 'a[href], button, input, select, textarea, summary, [tabindex]';
  const radios = new Set();
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.type === 'hidden' || el.getAttribute('tabindex') === '-1') continue;
    if (el.closest('[inert], [hidden]')) continue;
    if (typeof el.checkVisibility === 'function' && !el.checkVisibility({visibilityProperty: true})) continue;
    if (!el.getClientRects().length) continue;
    const details = el.closest('details:not([open])');
    if (details && el.tagName !== 'SUMMARY') continue;
    if (el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS') continue;
    if (el.type === 'radio') {
      const key = (el.form ? el.form.id || 'f' : '') + ':' + el.name;
      if (radios.has(key)) continue;
      radios.add(key);
    }
    out.push(el);
  }
  return out.length;
}"""


def reset_focus(page) -> None:
    """Focus back to the top of the page, as after loading it."""
    page.evaluate("""() => {
      document.querySelectorAll('[data-tab-stop]').forEach(el => el.removeAttribute('data-tab-stop'));
      if (document.activeElement) document.activeElement.blur();
      // Blurring leaves the browser's starting point where the focus was (an autofocus field):
      // focusing the body moves it to the top of the page.
      document.body.setAttribute('tabindex', '-1');
      document.body.focus();
      document.body.removeAttribute('tabindex');
      window.scrollTo(0, 0);
    }""")


def tab_walk(page, limit: int = 400) -> list[dict]:
    """Every stop of Tab from the top of the page, once round."""
    reset_focus(page)
    stops = []
    for n in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED, n)
        if stop is None:  # past the last control: the browser's own chrome
            if stops:
                break
            continue
        if stop["again"]:
            if stops and stop["n"] == stops[-1]["n"]:
                continue  # the next part of the same control (a date's day, month and year)
            break
        stops.append(stop)
    return stops


def expected_stops(page) -> int:
    return page.evaluate(EXPECTED)


def walk_problems(page, where: str) -> list[str]:
    """What is wrong with the page's Tab order: a control Tab never reaches, a stop without a visible focus."""
    stops = tab_walk(page)
    problems = []
    expected = expected_stops(page)
    if len(stops) != expected:
        problems.append(f"{where}: Tab reached {len(stops)} controls, the page has {expected}")
    problems += [f"{where}: no visible focus on {s['what']}" for s in stops if not s["visible_focus"]]
    problems += [f"{where}: focus off screen on {s['what']}" for s in stops if not s["on_screen"]]
    return problems


def tab_to(page, predicate_js: str, limit: int = 200):
    """Press Tab until the focused element satisfies ``predicate_js`` (a JS function of the element)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({predicate_js})(el); }}"):
            return
    raise AssertionError(f"Tab never reached the control ({predicate_js})")
