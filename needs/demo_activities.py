"""Activities in the demo (R25): called from ``needs.demo.seed`` while 长寿食坊 and 四点半学堂 are still
serving, so every step goes through ``needs.activities`` at the time it happened (``builder.at``).

长寿食坊 held a 重阳长寿宴 for residents aged 60 and over (birth dates recorded by the community first):
three signed up, two were checked in from the list and one scanned the door QR. 四点半学堂 held a
亲子手工课 last week (four sign-ups, three check-ins) and has a 周六科学小实验 coming up with places
left, so ``yudong_resident`` can sign up in one tap.
"""

from datetime import date

from . import activities as acts

BIRTH_DATES = [date(1948, 5, 12), date(1951, 9, 3), date(1955, 2, 20)]


def _others(residents):
    """Residents other than ``yudong_resident`` (the demo account left free to try signing up)."""
    return [r for r in residents if r.username != "yudong_resident"]


def canteen(builder, project, admin, residents) -> None:
    staff = builder.u("yudong_staff")
    elders = _others(residents)[:3]
    with builder.at(builder.day(-21, 9)):
        for resident, born in zip(elders, BIRTH_DATES, strict=True):
            acts.resident_birth_date_record(resident=resident, actor=staff, birth_date=born)
    with builder.at(builder.day(-20, 10)):
        feast = acts.activity_publish(
            project=project, actor=admin, title="重阳长寿宴", starts_at=builder.day(-13, 11),
            ends_at=builder.day(-13, 13), place="睦林食堂（玉林北路2号院1楼）", capacity=30, min_age=60,
            description="为 60 岁以上的老人做一桌长寿宴，社区卫生服务站现场测血压。")
    with builder.at(builder.day(-18, 19)):
        signups = [acts.activity_signup(activity=feast, resident=r) for r in elders]
    with builder.at(builder.day(-13, 10, 40)):
        acts.activity_checkin(signup=signups[0], actor=admin)
        acts.activity_checkin(signup=signups[1], actor=admin)
        acts.activity_checkin_by_token(token=acts.checkin_token(feast), resident=elders[2])


def school(builder, project, worker, residents) -> None:
    parents = _others(residents)
    with builder.at(builder.day(-12, 10)):
        craft = acts.activity_publish(
            project=project, actor=worker, title="亲子手工课", starts_at=builder.day(-6, 16, 30),
            ends_at=builder.day(-6, 18), place="玉东社区活动室", capacity=12,
            description="家长和孩子一起做纸灯笼；社工和大学生志愿者带领。")
    with builder.at(builder.day(-10, 20)):
        signups = [acts.activity_signup(activity=craft, resident=r) for r in parents[:4]]
    with builder.at(builder.day(-6, 16, 20)):
        acts.activity_checkin(signup=signups[0], actor=worker)
        acts.activity_checkin(signup=signups[1], actor=worker)
        acts.activity_checkin_by_token(token=acts.checkin_token(craft), resident=parents[2])
    with builder.at(builder.day(-2, 10)):
        science = acts.activity_publish(
            project=project, actor=worker, title="周六科学小实验", starts_at=builder.day(3, 9, 30),
            ends_at=builder.day(3, 11), place="玉东社区活动室", capacity=15,
            description="用厨房里的东西做小实验：火山、彩虹和会跳舞的葡萄干。适合 6–12 岁的孩子和家长。")
    with builder.at(builder.day(-1, 20)):
        for r in parents[:2]:
            acts.activity_signup(activity=science, resident=r)
