"""Test data. Factories create rows outside any tenant scope, on purpose and only here."""

import factory
from django_scopes import scopes_disabled
from factory.django import DjangoModelFactory

from accounts.models import Membership, Organization, Role, Tenant, User

PASSWORD = "correct-horse-battery"


class UnscopedFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)


class TenantFactory(UnscopedFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tenant{n}")
    name = factory.LazyAttribute(lambda t: t.slug.capitalize())
    timezone = "Europe/Berlin"
    reference_prefix = factory.LazyAttribute(lambda t: t.slug.upper().replace("-", "")[:12])


class UserFactory(UnscopedFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(UnscopedFactory):
    class Meta:
        model = Organization

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Customer Company {n}")


class MembershipFactory(UnscopedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.AGENT
    tier = 1
