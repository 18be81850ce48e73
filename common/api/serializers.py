class ScopedRelationsMixin:
    """Related objects are looked up among those the requesting user may see, so an id from
    another site reads as 'does not exist' rather than revealing that it does."""

    scoped_relations: dict[str, object] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        renderer = getattr(request, "accepted_renderer", None)
        browsing = renderer is not None and renderer.format == "api"  # the browsable API shows its forms' choices
        if request.method in ("GET", "HEAD", "OPTIONS") and not browsing:
            return  # only input is looked up; plain reads need no scoped choices
        for field, selector in self.scoped_relations.items():
            if field in self.fields and not self.fields[field].read_only:
                self.fields[field].queryset = selector(user=request.user)
