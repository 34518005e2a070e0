from django.db.models import QuerySet

from dangjian.orgs.models import Organization


def org_subtree(org: Organization, *, using: str = "default") -> QuerySet[Organization]:
    """The organisation and everything under it, in one query."""
    return Organization.objects.using(using).filter(path__startswith=org.path)
