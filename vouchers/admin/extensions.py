"""Hooks through which higher apps add to the vouchers back office without vouchers importing them.

The app layering (members → vehicles → vouchers → redemption → campaigns) forbids vouchers from
importing redemption or campaigns; their admin modules register here instead (at admin autodiscovery).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model
from django.http import HttpRequest


@dataclass(frozen=True)
class ObjectTool:
    """A button on a voucher's page that leads to another app's admin view."""

    label: str
    url: Callable[[Model], str]
    permission: str
    show: Callable[[Model], bool] = lambda obj: True


@dataclass(frozen=True)
class Audience:
    """A resolved audience for bulk issuance: plain ids, counted and labelled."""

    label: str
    vehicle_ids: list[int] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class AudienceProvider:
    """A source of saved audiences (campaign segments): `choices` for the form, `resolve` to ids."""

    key: str
    label: str
    choices: Callable[[HttpRequest], list[tuple[str, str]]]
    resolve: Callable[[str], Audience]


voucher_tools: list[ObjectTool] = []
audience_providers: dict[str, AudienceProvider] = {}


def register_voucher_tool(tool: ObjectTool) -> None:
    if tool not in voucher_tools:
        voucher_tools.append(tool)


def register_audience_provider(provider: AudienceProvider) -> None:
    audience_providers[provider.key] = provider
