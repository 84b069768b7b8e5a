def portal(request):
    """Values every page needs: larger-text preference."""
    user = getattr(request, "user", None)
    large = request.COOKIES.get("large_text") == "1" or bool(
        user and user.is_authenticated and getattr(user, "large_text", False)
    )
    return {"large_text": large}
