from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def catalogue(request):
    sites = [
        (site, selectors.resource_tree(user=request.user, site=site)) for site in selectors.site_list(user=request.user)
    ]
    return render(request, "resources/catalogue.html", {"sites": sites})
