import factory
from django.contrib.auth import get_user_model

from members.models import Dealer, DealerStaff, Member


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pass-word-123")


class DealerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dealer

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"Dealer {n}")
    city = "台北市"


class DealerStaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealerStaff

    user = factory.SubFactory(UserFactory)
    dealer = factory.SubFactory(DealerFactory)
    role = DealerStaff.Role.ADVISOR


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    phone = factory.Sequence(lambda n: f"+8869{10000000 + n:08d}")
    name = factory.Sequence(lambda n: f"車主{n}")
