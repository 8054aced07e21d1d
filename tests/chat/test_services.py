"""Chat services: seq without gaps, resends stored once, the accept race, the token's life."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership, SecretPattern, Tenant
from accounts.redaction import secret_pattern_save
from accounts.tenancy import tenant_scope
from chat import selectors, services
from chat.models import ChatMessage, ChatSession, ChatStatus
from core.errors import Conflict, NotAllowed
from sla.models import Clock
from tests.chat.helpers import accepted_chat, member, reload, start_chat, visitor
from tests.parallel import in_parallel


def seqs(chat) -> list[int]:
    with tenant_scope(chat.tenant):
        return list(ChatMessage.objects.filter(chat=chat).values_list("seq", flat=True))


def test_a_started_chat_waits_with_its_first_message_and_a_first_response_due(desks):
    acme, _ = desks
    chat, token = start_chat(acme)
    assert chat.status == ChatStatus.WAITING
    assert len(token) >= 43 and chat.token_hash != token  # 256 bits, stored hashed
    assert seqs(chat) == [1]
    assert chat.first_response_due is not None and chat.plan.name == "Basic"


def test_messages_count_from_one_and_a_resent_client_id_is_stored_once(desks):
    acme, _ = desks
    chat, _ = accepted_chat(acme)
    with tenant_scope(acme.tenant):
        first = services.message_post(actor=visitor(chat), chat=chat, body="hi", client_id="c1")
        again = services.message_post(
            actor=visitor(chat), chat=chat, body="hi (resent)", client_id="c1"
        )
        agent = services.message_post(
            actor=member(acme, acme.agent), chat=chat, body="Hello!", client_id="c1"
        )
    assert first.created and not again.created
    assert again.message.seq == first.message.seq == 2 and again.message.body == "hi"
    assert agent.created and agent.message.seq == 3  # another sender's c1 is another message
    assert seqs(chat) == [1, 2, 3]


def test_secrets_are_masked_before_a_message_is_stored(desks):
    acme, _ = desks
    chat, _ = start_chat(acme, message="my key is AKIAIOSFODNN7EXAMPLE ok")
    with tenant_scope(acme.tenant):
        body = ChatMessage.objects.get(chat=chat, seq=1).body
    assert "AKIAIOSFODNN7EXAMPLE" not in body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_gapless_seq_and_resends_stay_single(desks):
    acme, _ = desks
    chat, _ = accepted_chat(acme)
    agent = member(acme, acme.agent)

    def send(actor, client_id):
        def run():
            with tenant_scope(acme.tenant):
                return services.message_post(
                    actor=actor, chat=chat, body=f"m {client_id}", client_id=client_id
                ).message.seq

        return run

    work = [send(visitor(chat), f"v{n}") for n in range(8)]
    work += [send(agent, f"a{n}") for n in range(8)]
    work += [send(visitor(chat), "v0") for _ in range(4)]  # resends racing the first
    results = in_parallel(*work)
    assert seqs(chat) == list(range(1, 18))  # 1 opening message + 16 distinct
    assert len(set(results[:16])) == 16
    assert set(results[16:]) == {results[0]}
    assert reload(chat).last_seq == 17


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_two_agents_accepting_at_once_the_second_gets_a_conflict(desks):
    acme, _ = desks
    chat, _ = start_chat(acme)

    def accept(user):
        def run():
            with tenant_scope(acme.tenant):
                try:
                    services.chat_accept(actor=member(acme, user), chat=chat)
                    return "ok"
                except Conflict:
                    return "409"

        return run

    assert sorted(in_parallel(accept(acme.agent), accept(acme.tier2))) == ["409", "ok"]
    assert reload(chat).agent_id in (acme.agent.pk, acme.tier2.pk)


def test_the_token_opens_its_chat_until_a_day_after_the_close(desks):
    acme, globex = desks
    chat, token = accepted_chat(acme)
    with tenant_scope(acme.tenant):
        assert selectors.chat_by_token(token) == chat
        services.chat_close(actor=member(acme, acme.agent), chat=chat)
        later = timezone.now() + timedelta(hours=23)
        assert selectors.chat_by_token(token, now=later) is not None
        assert selectors.chat_by_token(token, now=later + timedelta(hours=2)) is None
    with tenant_scope(globex.tenant):  # another tenant's door never finds it
        assert selectors.chat_by_token(token) is None


def test_the_waiting_cap_refuses_new_chats_with_a_reason(desks):
    from tests.chat.conftest import open_chat_settings

    acme, _ = desks
    open_chat_settings(acme, max_waiting=2)
    start_chat(acme)
    start_chat(acme)
    with pytest.raises(services.start.TooManyWaiting) as refused:
        start_chat(acme)
    assert refused.value.status == 429 and refused.value.extra["reason"] == "too_many_waiting"
    with tenant_scope(acme.tenant):
        assert ChatSession.objects.filter(status="waiting").count() == 2


# --- The message path's guarantees (one UPDATE ... RETURNING and one INSERT under the lock) ---


def test_a_message_after_the_close_is_refused_and_gives_its_seq_back_but_resends_are_answered(
    desks,
):
    acme, _ = desks
    chat, _ = accepted_chat(acme)  # the instance a socket keeps from its connect
    with tenant_scope(acme.tenant):
        first = services.message_post(actor=visitor(chat), chat=chat, body="hi", client_id="c1")
        services.chat_close(actor=member(acme, acme.agent), chat=chat)
    closed_at = reload(chat)
    with tenant_scope(acme.tenant), pytest.raises(Conflict):
        services.message_post(actor=visitor(chat), chat=chat, body="late", client_id="c2")
    after = reload(chat)
    assert after.last_seq == closed_at.last_seq and seqs(chat) == list(range(1, after.last_seq + 1))
    assert after.last_message_at == closed_at.last_message_at  # the whole UPDATE rolled back
    with tenant_scope(acme.tenant):
        again = services.message_post(actor=visitor(chat), chat=chat, body="hi", client_id="c1")
    assert not again.created and again.message.seq == first.message.seq


def test_after_a_transfer_the_old_agents_socket_may_no_longer_write(desks):
    acme, _ = desks
    chat, _ = accepted_chat(acme)
    with tenant_scope(acme.tenant):
        services.chat_transfer(
            actor=member(acme, acme.agent), chat=chat, agent_email=acme.tier2.email
        )
        with pytest.raises(NotAllowed):  # `chat` still says acme.agent: the lock's row counts
            services.message_post(actor=member(acme, acme.agent), chat=chat, body="me?")
        posted = services.message_post(actor=member(acme, acme.tier2), chat=chat, body="Hi!")
    assert posted.created and seqs(chat) == list(range(1, posted.message.seq + 1))


def test_the_first_agent_message_answers_the_chat_and_later_ones_leave_it(desks):
    acme, _ = desks
    chat, _ = accepted_chat(acme)
    agent = member(acme, acme.agent)
    with tenant_scope(acme.tenant):
        services.message_post(actor=visitor(chat), chat=chat, body="anyone?")
        assert reload(chat).first_responded_at is None  # accepting, or the visitor, is no answer
        first = services.message_post(actor=agent, chat=chat, body="Hello!")
        services.message_post(actor=agent, chat=chat, body="How can I help?")
        clock = Clock.objects.get(subject_type="chat", subject_id=chat.pk)
    assert reload(chat).first_responded_at == first.message.created_at
    assert clock.stopped_at == first.message.created_at


def test_a_secret_pattern_added_while_a_socket_is_open_masks_its_next_message(desks):
    acme, _ = desks
    chat, _ = accepted_chat(acme)  # its tenant read before the pattern existed
    stale_stamp = chat.tenant.secret_patterns_stamp
    with tenant_scope(acme.tenant):
        secret_pattern_save(
            actor=Membership.objects.get(user=acme.admin),
            tenant=Tenant.objects.get(pk=acme.tenant.pk),
            pattern=SecretPattern(name="acme_license", pattern=r"ACME-LIC-[A-Z0-9]{12}"),
        )
        posted = services.message_post(
            actor=visitor(chat), chat=chat, body="License ACME-LIC-9F8E7D6C5B4A", client_id="k"
        )
        stored_body = ChatMessage.objects.get(chat=chat, seq=posted.message.seq).body
    assert chat.tenant.secret_patterns_stamp == stale_stamp  # the socket's copy, untouched
    assert "9F8E7D6C" not in stored_body and posted.message.body == stored_body


def test_another_tenants_actor_stores_nothing_in_a_chat(desks):
    acme, globex = desks
    chat, _ = accepted_chat(acme)
    with tenant_scope(globex.tenant), pytest.raises(ChatSession.DoesNotExist):
        services.message_post(actor=member(globex, globex.agent), chat=chat, body="hi")
    assert seqs(chat) == [1] and reload(chat).last_seq == 1
