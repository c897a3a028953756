"""The four-step definition wizard: custom admin views (get_urls + admin_view + each_context).

Each step is its own form and is saved as a draft when valid; "Back" saves what is valid and keeps
what is not in the session, so nothing typed is lost; publishing is a separate explicit action.
"""

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError

from ..models import VoucherDefinition
from ..presentation import definition_card_preview
from ..services import (
    definition_locked_fields,
    definition_publish,
    definition_publish_problems,
    definition_save_step,
)
from ..services.definition_edit import STEP_COUNT
from .wizard_forms import STEP_FORMS, STEP_TITLES

Definition = VoucherDefinition
SESSION_KEY = "definition-wizard:{pk}:{step}"


def step_url(definition: Definition, step: int) -> str:
    return reverse("admin:vouchers_voucherdefinition_wizard", args=[definition.pk, step])


def review_url(definition: Definition) -> str:
    return reverse("admin:vouchers_voucherdefinition_review", args=[definition.pk])


class DefinitionWizardMixin:
    """Mixed into VoucherDefinitionAdmin; the URLs are added by its get_urls."""

    def _wizard_context(self, request, definition: Definition | None, step: int | None, **extra) -> dict:
        steps = [
            {
                "number": n,
                "title": STEP_TITLES[n],
                "done": definition is not None and definition.wizard_step >= n,
                "current": n == step,
                "url": step_url(definition, n)
                if definition is not None and _reachable(definition, n)
                else "",
            }
            for n in range(1, STEP_COUNT + 1)
        ]
        title = definition.name if definition is not None else gettext("New voucher definition")
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": definition,
            "definition": definition,
            "title": title,
            "subtitle": f"{step}. {STEP_TITLES[step]}" if step else _("Review and publish"),
            "steps": steps,
            "step": step,
            "step_count": STEP_COUNT,
            "review_url": review_url(definition)
            if definition is not None and definition.wizard_step >= STEP_COUNT
            else "",
            **extra,
        }

    def _definition_or_404(self, request, object_id) -> Definition:
        definition = self.get_object(request, object_id)
        if definition is None:
            raise Http404
        return definition

    def wizard_new_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._wizard_step(request, None, 1)

    def wizard_step_view(self, request, object_id, step: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        if step not in STEP_FORMS:
            raise Http404
        definition = self._definition_or_404(request, object_id)
        if not _reachable(definition, step):
            # A draft's steps are walked in order; jump to the first one not yet completed.
            return redirect(step_url(definition, definition.wizard_step + 1))
        return self._wizard_step(request, definition, step)

    def _wizard_step(self, request, definition: Definition | None, step: int):
        form_class = STEP_FORMS[step]
        locked = definition_locked_fields(definition) if definition is not None else frozenset()
        instance = definition if definition is not None else Definition()
        session_key = SESSION_KEY.format(pk=instance.pk, step=step)
        if request.method == "POST":
            form = form_class(request.POST, request.FILES, instance=copy.copy(instance), locked=locked)
            going_back = "_back" in request.POST and step > 1 and definition is not None
            if form.is_valid():
                try:
                    saved = definition_save_step(
                        definition=definition,
                        step=step,
                        values=form.step_values(),
                        actor=request.user,
                        advance=not going_back,
                    )
                except (DomainError, ValidationError) as exc:
                    _add_errors(form, exc)
                else:
                    request.session.pop(SESSION_KEY.format(pk=saved.pk, step=step), None)
                    for warning in form.warnings():
                        messages.warning(request, warning)
                    if definition is None:
                        self.log_addition(request, saved, [{"added": {}}])
                    else:
                        self.log_change(
                            request,
                            saved,
                            gettext("Wizard step %(step)s saved: %(title)s")
                            % {"step": step, "title": STEP_TITLES[step]},
                        )
                    if going_back:
                        return redirect(step_url(saved, step - 1))
                    if "_leave" in request.POST:
                        messages.success(
                            request, gettext("Draft saved. You can come back to it at any time.")
                        )
                        return redirect(reverse("admin:vouchers_voucherdefinition_change", args=[saved.pk]))
                    return redirect(step_url(saved, step + 1) if step < STEP_COUNT else review_url(saved))
            elif going_back:
                # Keep what was typed, errors and all, for when the operator returns to this step.
                request.session[session_key] = _post_without_files(request)
                messages.info(
                    request,
                    gettext("What you entered in “%(title)s” was kept; it still needs fixing.")
                    % {"title": STEP_TITLES[step]},
                )
                return redirect(step_url(definition, step - 1))
        elif session_key in request.session and definition is not None:
            form = form_class(
                _as_querydict(request.session[session_key]), instance=copy.copy(instance), locked=locked
            )
            form.is_valid()  # show the errors that made the operator go back
        else:
            form = form_class(instance=instance, locked=locked)
        preview = None
        if step == 4:
            preview = definition_card_preview(
                instance if not form.is_bound else _apply_preview(instance, form)
            )
        context = self._wizard_context(
            request,
            definition,
            step,
            form=form,
            locked_note=bool(locked & set(form.fields)),
            warnings=form.warnings() if form.is_bound and not form.errors else [],
            card=preview,
            preview_url=reverse("admin:vouchers_voucherdefinition_preview", args=[definition.pk])
            if definition is not None and step == 4
            else "",
        )
        return TemplateResponse(request, "admin/vouchers/voucherdefinition/wizard_step.html", context)

    def wizard_preview_view(self, request, object_id):
        """The card as owners will see it, for the values being typed (nothing is saved)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        definition = self._definition_or_404(request, object_id)
        form = STEP_FORMS[4](request.POST or None, instance=copy.copy(definition))
        card = definition_card_preview(_apply_preview(definition, form) if form.is_bound else definition)
        return HttpResponse(render_to_string("vouchers/card.html", {"card": card}, request=request))

    def wizard_review_view(self, request, object_id):
        """The last page: every problem that blocks publishing, the card, and the Publish button."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        definition = self._definition_or_404(request, object_id)
        error = None
        if request.method == "POST" and "_publish" in request.POST:
            try:
                definition_publish(definition=definition, actor=request.user)
            except DomainError as exc:
                error = exc.message
            else:
                self.log_change(request, definition, gettext("Published."))
                messages.success(request, gettext("“%(name)s” is published.") % {"name": definition.name})
                return redirect(reverse("admin:vouchers_voucherdefinition_change", args=[definition.pk]))
        context = self._wizard_context(
            request,
            definition,
            None,
            problems=definition_publish_problems(definition),
            publish_error=error,
            card=definition_card_preview(definition),
            can_publish=definition.status in (Definition.Status.DRAFT, Definition.Status.PAUSED),
        )
        return TemplateResponse(request, "admin/vouchers/voucherdefinition/wizard_review.html", context)


def _reachable(definition: Definition, step: int) -> bool:
    """Any step of a definition that left the draft state (it is complete); a draft's next step."""
    return definition.status != Definition.Status.DRAFT or step <= definition.wizard_step + 1


def _apply_preview(definition: Definition, form) -> Definition:
    """An unsaved copy of `definition` with the style values that are valid so far."""
    preview = copy.copy(definition)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    for name in form.Meta.fields:
        if name in cleaned and name != "card_image":
            setattr(preview, name, cleaned[name])
    return preview


def _post_without_files(request) -> dict[str, list[str]]:
    return {key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"}


def _as_querydict(saved: dict[str, list[str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in saved.items():
        data.setlist(key, values)
    return data


def _add_errors(form, exc: Exception) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif isinstance(exc, DomainError):
        form.add_error(None, exc.message)
    else:
        form.add_error(None, exc)
