from django.db.models.functions import Lower
from rest_framework.filters import OrderingFilter


class NaturalOrderingFilter(OrderingFilter):
    """Orders the view's `ordering_text_fields` case-insensitively ("dgx-01" before "Krios-1"),
    whatever the database collation."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        text_fields = set(getattr(view, "ordering_text_fields", ()))
        terms = []
        for term in ordering:
            field = term.lstrip("-")
            if field in text_fields:
                expression = Lower(field)
                terms.append(expression.desc() if term.startswith("-") else expression.asc())
            else:
                terms.append(term)
        return queryset.order_by(*terms, "pk")
