"""Whole sentences for translators (issue 17): a sentence with a name, a date or a count in it is
one {% blocktranslate %} message, so Spanish can put the words in its own order, and a count
chooses the noun's plural. Every such message a template asks for is in the Spanish catalogue."""

from __future__ import annotations

import gettext
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.paginator import Paginator
from django.template import engines
from django.template.loader import render_to_string
from django.templatetags.i18n import BlockTranslateNode
from django.utils import translation

from brm.core.audit import SYSTEM, AuditEntry, FieldChange, _display
from complaints.models import ComplaintSettings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.mo"


def _blocktranslate_messages() -> list[tuple[str, str | tuple[str, int]]]:
    """(template, catalogue key) for every {% blocktranslate %} in the templates: the msgid as
    makemessages writes it (`%(name)s` for each variable), `(msgid, 0)` for a counted one."""
    engine = engines["django"].engine  # type: ignore[attr-defined]
    found: list[tuple[str, str | tuple[str, int]]] = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        template = engine.from_string(path.read_text(encoding="utf-8"))
        for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
            singular, _ = node.render_token_list(node.singular)
            key = (singular, 0) if node.plural and node.countervar else singular
            found.append((str(path.relative_to(TEMPLATES)), key))
    return found


def test_every_blocktranslate_message_is_in_the_catalogue():
    """A {% blocktranslate %} added without its Spanish entry shows English to a Spanish
    reader (the {% translate %} literals have their own test)."""
    with CATALOGUE.open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    messages = _blocktranslate_messages()
    assert len(messages) > 50  # the check finds them (87 when it was written)
    assert [f"{name}: {key!r}" for name, key in messages if key not in catalogue] == []


def _unit(cadence: int) -> SimpleNamespace:
    return SimpleNamespace(name="Ventas", review_cadence_days=cadence)


def test_the_review_due_email_is_one_spanish_sentence_with_the_cadence_in_its_plural():
    due = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    context = {"name": "Ana", "due_at": due, "url": "https://brm.example/units/7/"}
    with translation.override("es"):
        monthly = render_to_string("reviews/email/unplanned.txt", {**context, "unit": _unit(30)})
        daily = render_to_string("reviews/email/unplanned.html", {**context, "unit": _unit(1)})
    assert (
        "La próxima revisión del servicio con Ventas vencía el jueves 3 diciembre 2026 "
        "y aún no hay ninguna planificada."
    ) in monthly
    assert (
        "Las revisiones con Ventas se celebran cada 30 días. Planifica la próxima aquí: "
        "https://brm.example/units/7/"
    ) in monthly
    assert "<p>Las revisiones con Ventas se celebran cada 1 día.</p>" in daily
    with translation.override("en"):
        english = render_to_string("reviews/email/unplanned.txt", {**context, "unit": _unit(30)})
    assert (
        "The next service review with Ventas was due on Thursday 3 December 2026 "
        "and none is planned yet."
    ) in english
    assert "Reviews with Ventas take place every 30 days. Plan the next one here:" in english


def test_a_name_in_a_sentence_is_escaped_as_it_was():
    """blocktranslate escapes its variables like {{ }} does: a unit's name stays text."""
    context = {
        "name": "Ana",
        "due_at": datetime(2026, 12, 3, tzinfo=UTC),
        "url": "https://brm.example/",
        "unit": SimpleNamespace(name="R&D <b>", review_cadence_days=30),
    }
    with translation.override("es"):
        html = render_to_string("reviews/email/unplanned.html", context)
    assert "<strong>revisión del servicio con R&amp;D &lt;b&gt;</strong>" in html


def test_the_fewer_than_k_responses_cell_is_one_spanish_phrase():
    rows = [SimpleNamespace(label="Ventas", suppressed=True)]
    context = {"rows": rows, "res": SimpleNamespace(min_group=5), "services": False}
    with translation.override("es"):
        html = render_to_string("satisfaction/includes/figures_table.html", context)
    assert "Menos de 5 respuestas</td>" in html


def test_the_survey_email_asks_in_whole_spanish_sentences():
    campaign = SimpleNamespace(
        kind="survey", anonymous=True, template=SimpleNamespace(name="Encuesta anual"), pulse=None
    )
    context = {
        "name": "Ana",
        "kind": "invitation",
        "campaign": campaign,
        "unit": SimpleNamespace(name="Ventas"),
        "url": "https://brm.example/s/abc/",
        "expires_at": datetime(2026, 12, 3, tzinfo=UTC),
    }
    with translation.override("es"):
        text = render_to_string("satisfaction/email/survey.txt", context)
    assert (
        "¿Qué tal lo está haciendo TI para Ventas? "
        "«Encuesta anual» se responde en menos de un minuto y es anónima."
    ) in text
    assert (
        "Este enlace es personal: no lo reenvíes. Funciona una sola vez, hasta el 3 Dic 2026."
        in (text)
    )


def test_the_pager_and_the_history_speak_whole_spanish_sentences():
    """A count with its total, and who did what when: one message each, the name escaped."""
    at = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    entry = SimpleNamespace(who="Ana <b>", action="created", at=at, reason="", changes=[])
    with translation.override("es"):
        pages = render_to_string(
            "includes/paginator.html",
            {"page": Paginator(range(45), 20).page(2), "qs": "", "target": "t"},
        )
        one = render_to_string(
            "includes/paginator.html",
            {"page": Paginator(range(1), 20).page(1), "qs": "", "target": "t"},
        )
        history = render_to_string("includes/history.html", {"history": [entry]})
    assert "21–40 de 45</span>" in pages
    assert "1 mostrado</p>" in one
    assert (
        '<strong>Ana &lt;b&gt;</strong> creó este registro el <time datetime="2026-12-03T09:30:00'
    ) in history


def test_the_sign_in_button_is_one_spanish_phrase():
    attrs = {"href": "/accounts/oidc/entra/login/", "name": "Entra <ID>"}
    with translation.override("es"):
        html = render_to_string("allauth/elements/provider.html", {"attrs": attrs})
    assert "Iniciar sesión con Entra &lt;ID&gt;</button>" in html


def test_an_html_email_declares_the_language_it_is_written_in():
    context = {
        "name": "Ana",
        "due_at": datetime(2026, 12, 3, tzinfo=UTC),
        "url": "https://brm.example/",
        "unit": _unit(30),
    }
    with translation.override("es"):
        spanish = render_to_string("reviews/email/unplanned.html", context)
    with translation.override("en"):
        english = render_to_string("reviews/email/unplanned.html", context)
    assert '<html lang="es">' in spanish
    assert '<html lang="en">' in english


def _digest_context(watermelons: int) -> dict[str, object]:
    unit = SimpleNamespace(name="I+D & <Lab>")
    snapshot = SimpleNamespace(
        unit=unit, delivery=91.4, perception=42.6, score=55.2, watermelon=False
    )
    return {
        "week_start": datetime(2026, 11, 23, tzinfo=UTC).date(),
        "bands": {"red": 2, "amber": 1, "green": 0},
        "watermelons": [snapshot] * watermelons,
        "dashboard_url": "https://brm.example/health/",
    }


def test_the_digest_speaks_whole_spanish_sentences_and_counts_its_watermelons():
    with translation.override("es"):
        one = render_to_string("brm/email/digest.html", _digest_context(1))
        two = render_to_string("brm/email/digest.txt", _digest_context(2))
    assert "<h2>Salud de la relación, semana del 23 Nov 2026</h2>" in one
    assert "Unidades: <strong>2 en rojo</strong>, 1 en ámbar, 0 en verde." in one
    assert "<h3>Sandía: SLA en verde, negocio descontento (1)</h3>" in one
    assert "I+D &amp; &lt;Lab&gt;: prestación 91, percepción 43" in one
    assert "Sandías (SLA en verde, negocio descontento): 2" in two
    assert "I+D & <Lab>: prestación 91, percepción 43" in two
    with translation.override("en"):
        english = render_to_string("brm/email/digest.html", _digest_context(1))
    assert "<h3>Watermelons: SLAs green, business unhappy (1)</h3>" in english


def test_the_history_shows_the_system_and_yes_in_the_readers_language():
    """The stored row has no user and a boolean: the words for them are chosen when the page is
    rendered, so one list of entries reads in each reader's language."""
    on = _display(ComplaintSettings, "round_the_clock_low", True, {})
    entry = AuditEntry(
        at=datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
        who=SYSTEM,
        action="changed",
        reason="",
        changes=[FieldChange("round the clock", "—", on)],
    )
    with translation.override("es"):
        spanish = render_to_string("includes/history.html", {"history": [entry]})
    with translation.override("en"):
        english = render_to_string("includes/history.html", {"history": [entry]})
    assert "<strong>el sistema</strong> modificó este registro el" in spanish
    assert "<ins>sí</ins>" in spanish
    assert "<strong>system</strong> changed this" in english
    assert "<ins>yes</ins>" in english
