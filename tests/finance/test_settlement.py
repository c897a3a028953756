"""Dealer settlement: what each statement contains, approval freezes it (service and database),
later corrections land in the next statement, and every statement reconciles to the ledger."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction

from finance.exceptions import StatementLocked, StatementMonthOpen, StatementNotApproved
from finance.models import SettlementLine, SettlementStatement
from finance.reconcile import settlement_reconcile
from finance.services import statement_approve, statement_draft, statement_export, statements_draft_month
from members.actors import Actor
from tests.factories import DealerFactory, DefinitionFactory, UserFactory, issue_voucher
from tests.factories.finance import bought_voucher, taipei
from vouchers.models import LedgerEntry, Order, Voucher
from vouchers.services import voucher_redeem, voucher_reverse_use

pytestmark = pytest.mark.django_db
NOV = date(2026, 11, 1)
DEC = date(2026, 12, 1)
AFTER_NOV = taipei(2026, 12, 3)
AFTER_DEC = taipei(2027, 1, 3)


@pytest.fixture
def finance():
    return Actor.operations(UserFactory())


@pytest.fixture
def dealer():
    return DealerFactory()


def _free(kind="complimentary", price=250, source=Voucher.Source.MANUAL, uses=1, at=None):
    definition = DefinitionFactory(
        kind=kind, settlement_price_twd=price, uses_per_voucher=uses, validity_days=400
    )
    from tests.factories import OwnedVehicleFactory

    return issue_voucher(
        definition, source=source, vehicle=OwnedVehicleFactory(), now=at or taipei(2026, 10, 20)
    )


def _redeem(voucher, dealer, at):
    return voucher_redeem(voucher=voucher, vehicle=voucher.vehicle, dealer=dealer, now=at)


def test_a_statement_pays_funded_uses_at_their_price_and_collects_counter_sales(dealer, finance):
    other = DealerFactory()
    gift = _free("complimentary", 250)
    promo = _free("promotional", 400)
    online = bought_voucher(amount=1000, uses=2, at=taipei(2026, 10, 1), settlement_price_twd=450)
    counter = bought_voucher(
        amount=1800,
        uses=2,
        at=taipei(2026, 11, 4),
        channel=Order.Channel.COUNTER,
        dealer=dealer,
        settlement_price_twd=700,
    )
    _redeem(gift, dealer, taipei(2026, 11, 2))
    _redeem(promo, dealer, taipei(2026, 11, 3))
    _redeem(online, dealer, taipei(2026, 11, 5))
    _redeem(online, other, taipei(2026, 11, 6))  # another dealer's use: not on this statement
    _redeem(counter, dealer, taipei(2026, 11, 7))
    _redeem(_free("complimentary", 250), dealer, taipei(2026, 12, 1, 0))  # December (Taipei): not yet

    statement = statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER_NOV)

    kinds = sorted((x.kind, x.funding, x.amount_twd) for x in statement.lines.all())
    assert kinds == [
        ("counter_sale", "sold_at_counter", -1800),
        ("redemption", "complimentary", 250),
        ("redemption", "programme", 400),
        ("redemption", "sold_at_counter", 700),
        ("redemption", "sold_online", 450),
    ]
    assert (statement.owed_to_dealer_twd, statement.owed_by_dealer_twd, statement.total_twd) == (
        1800,
        1800,
        0,
    )
    assert statement.status == "draft" and statement.number is None


def test_counter_sold_uses_are_not_paid_when_finance_says_so(dealer, finance, settings):
    settings.FINANCE_SETTLE_COUNTER_SOLD_USES = False
    counter = bought_voucher(
        amount=1800,
        uses=2,
        at=taipei(2026, 11, 4),
        channel=Order.Channel.COUNTER,
        dealer=dealer,
        settlement_price_twd=700,
    )
    _redeem(counter, dealer, taipei(2026, 11, 7))
    statement = statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER_NOV)
    assert [x.kind for x in statement.lines.all()] == ["counter_sale"]


def test_approval_numbers_the_statement_and_freezes_it(dealer, finance):
    _redeem(_free(), dealer, taipei(2026, 11, 2))
    statement = statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER_NOV)
    approved = statement_approve(statement=statement, actor=finance, now=AFTER_NOV)
    assert approved.status == "approved"
    assert approved.number == f"ST-202611-{dealer.code}"
    with pytest.raises(StatementLocked):
        statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER_NOV)
    with pytest.raises(StatementLocked):
        statement_approve(statement=approved, actor=finance, now=AFTER_NOV)


def test_a_month_is_approved_only_after_it_ended(dealer, finance):
    statement = statement_draft(dealer=dealer, month=NOV, actor=finance, now=taipei(2026, 11, 20))
    with pytest.raises(StatementMonthOpen):
        statement_approve(statement=statement, actor=finance, now=taipei(2026, 11, 30, 23))
    assert SettlementStatement.objects.get(pk=statement.pk).status == "draft"


def test_only_an_approved_statement_is_exported(dealer, finance):
    statement = statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER_NOV)
    with pytest.raises(StatementNotApproved):
        statement_export(statement=statement, actor=finance, now=AFTER_NOV)
    statement_approve(statement=statement, actor=finance, now=AFTER_NOV)
    exported = statement_export(statement=statement, actor=finance, now=AFTER_NOV)
    assert exported.status == "exported" and exported.exported_at == AFTER_NOV
    again = statement_export(statement=statement, actor=finance, now=AFTER_DEC)
    assert again.exported_at == AFTER_NOV


@pytest.mark.parametrize(
    "write",
    [
        lambda s: SettlementStatement.objects.filter(pk=s.pk).update(total_twd=999, owed_to_dealer_twd=999),
        lambda s: SettlementStatement.objects.filter(pk=s.pk).update(
            status="draft", number=None, approved_at=None
        ),
        lambda s: SettlementStatement.objects.filter(pk=s.pk).delete(),
        lambda s: SettlementLine.objects.filter(statement=s).update(amount_twd=0, unit_price_twd=0),
        lambda s: SettlementLine.objects.filter(statement=s).delete(),
        lambda s: SettlementLine.objects.create(
            statement=s,
            kind="reversal",
            source_key="x",
            funding="complimentary",
            occurred_at=AFTER_NOV,
            quantity=-1,
            unit_price_twd=1,
            amount_twd=-1,
        ),
    ],
    ids=["change-total", "back-to-draft", "delete", "change-line", "delete-line", "add-line"],
)
def test_the_database_refuses_any_change_to_an_approved_statement(dealer, finance, write):
    _redeem(_free(), dealer, taipei(2026, 11, 2))
    statement = statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER_NOV)
    statement_approve(statement=statement, actor=finance, now=AFTER_NOV)
    with pytest.raises(DatabaseError), transaction.atomic():
        write(statement)
    fresh = SettlementStatement.objects.get(pk=statement.pk)
    assert (fresh.status, fresh.total_twd, fresh.lines.count()) == ("approved", 250, 1)


def test_the_database_lets_a_draft_change(dealer, finance):
    statement = statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER_NOV)
    SettlementStatement.objects.filter(pk=statement.pk).update(drafted_at=AFTER_DEC)
    SettlementStatement.objects.filter(pk=statement.pk).delete()
    assert not SettlementStatement.objects.exists()


def test_a_reversal_after_approval_is_an_adjustment_in_the_next_statement(dealer, finance):
    voucher = _free(uses=2)
    used = _redeem(voucher, dealer, taipei(2026, 11, 2))
    november = statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER_NOV)
    statement_approve(statement=november, actor=finance, now=AFTER_NOV)
    # Reversed on 5 December, after November was approved; a use served late in November but
    # recorded after the draft also waits for December.
    voucher_reverse_use(voucher=voucher, redeemed_entry=used, reason="wrong car", now=taipei(2026, 12, 5))
    december = statement_draft(dealer=dealer, month=DEC, actor=finance, now=AFTER_DEC)
    (line,) = december.lines.all()
    assert (line.kind, line.amount_twd, line.adjustment) == ("reversal", -250, False)
    assert SettlementStatement.objects.get(pk=november.pk).total_twd == 250


def test_what_a_statement_missed_is_an_adjustment_next_month(dealer, finance):
    voucher = _free()
    november = statement_draft(dealer=dealer, month=NOV, actor=finance, now=taipei(2026, 11, 20))
    _redeem(voucher, dealer, taipei(2026, 11, 25))  # after the draft was made
    statement_approve(statement=november, actor=finance, now=AFTER_NOV)
    december = statement_draft(dealer=dealer, month=DEC, actor=finance, now=AFTER_DEC)
    (line,) = december.lines.all()
    assert (line.kind, line.adjustment, line.amount_twd) == ("redemption", True, 250)


def test_a_reversal_is_charged_at_the_price_its_redemption_was_paid(dealer, finance):
    voucher = _free(uses=2)
    used = _redeem(voucher, dealer, taipei(2026, 11, 2))
    statement_approve(
        statement=statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER_NOV),
        actor=finance,
        now=AFTER_NOV,
    )
    definition = voucher.definition
    definition.settlement_price_twd = 300
    definition.save()
    voucher_reverse_use(voucher=voucher, redeemed_entry=used, reason="wrong car", now=taipei(2026, 12, 5))
    (line,) = statement_draft(dealer=dealer, month=DEC, actor=finance, now=AFTER_DEC).lines.all()
    assert line.amount_twd == -250


def test_every_statement_reconciles_to_the_ledger(dealer, finance):
    other = DealerFactory()
    vouchers = [_free(uses=3, price=100 + 50 * i) for i in range(4)]
    entries = []
    for i, voucher in enumerate(vouchers):
        entries.append(_redeem(voucher, dealer if i % 2 else other, taipei(2026, 11, 2 + i)))
        entries.append(_redeem(voucher, dealer, taipei(2026, 12, 2 + i)))
    voucher_reverse_use(
        voucher=vouchers[1], redeemed_entry=entries[2], reason="mistake", now=taipei(2026, 11, 20)
    )
    voucher_reverse_use(
        voucher=vouchers[3], redeemed_entry=entries[6], reason="mistake", now=taipei(2026, 12, 20)
    )
    for month, at in ((NOV, AFTER_NOV), (DEC, AFTER_DEC)):
        for statement in statements_draft_month(month=month, actor=finance, now=at):
            statement_approve(statement=statement, actor=finance, now=at)
    assert settlement_reconcile(through=DEC) == []
    # By hand, from the ledger: each dealer is owed its uses at their price, less reversals.
    for each in (dealer, other):
        expected = 0
        for entry in LedgerEntry.objects.filter(kind__in=["redeemed", "reversed"]).select_related(
            "voucher__definition"
        ):
            redeemed = (
                entry if entry.kind == "redeemed" else LedgerEntry.objects.get(pk=entry.data["reverses"])
            )
            if redeemed.dealer_id == each.pk:
                expected += -entry.delta * entry.voucher.definition.settlement_price_twd
        paid = sum(s.total_twd for s in SettlementStatement.objects.filter(dealer=each))
        assert paid == expected


def test_reconcile_reports_a_use_no_statement_settled(dealer, finance):
    _redeem(_free(), dealer, taipei(2026, 11, 2))
    problems = settlement_reconcile(through=NOV)
    assert len(problems) == 1 and "ledger:" in problems[0]


def test_settlement_command_prints_the_month(dealer, finance, capsys):
    _redeem(_free(), dealer, taipei(2026, 11, 2))
    statement_approve(
        statement=statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER_NOV),
        actor=finance,
        now=AFTER_NOV,
    )
    call_command("settlement", "--month", "2026-11", "--dealer", dealer.code, "--format", "csv")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("statement,status,dealer,month,kind")
    assert lines[1].startswith(f"ST-202611-{dealer.code},approved,{dealer.code},2026-11,redemption")
    assert lines[-1].endswith(",total,,,,,,,,,250")


def test_settlement_command_previews_a_month_without_a_statement(dealer, capsys):
    _redeem(_free(), dealer, taipei(2026, 11, 2))
    call_command("settlement", "--month", "2026-11", "--format", "csv")
    out = capsys.readouterr().out
    assert ",preview," in out and not SettlementStatement.objects.exists()
