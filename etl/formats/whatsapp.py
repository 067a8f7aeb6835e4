"""WhatsApp Cloud API webhook bodies (`"object": "whatsapp_business_account"`) -> v1 rows.

docs/formats/whatsapp_webhook.md is the mapping field by field. In short:
- `messages[]`: inbound messages, one per message id;
- `statuses[]`: outbound messages, one per message id: the furthest status (sent < delivered <
  read; failed wins), sent at the earliest status, the category from `pricing.category`; and every
  (message, status) once in `message_statuses`;
- `user_preferences[]` (marketing_messages stop / resume): opt-outs;
- quality, template and account updates: `platform_events`;
- every phone number id seen in `metadata`: a business row.

The result depends on the set of bodies only: Meta delivers out of order and retries, so a body
seen twice or a status arriving after a later one changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

from etl.formats.base import (
    UNNAMED_TEMPLATE,
    Conversion,
    Quarantined,
    Tables,
    UnreadableFile,
    clip,
    compact,
    content_id,
    epoch_text,
    keep_one_message,
    text_of,
    write_conversion,
)
from etl.formats.categories import TEMPLATE_CATEGORIES, v1_category
from etl.formats.jsonsource import NotJSON, file_values
from etl.formats.kinds import header
from etl.formats.phones import BY_CALLING_CODE, UNKNOWN, country_of, digits

NAME = "whatsapp_webhook"
TITLE = "WhatsApp Cloud API webhook bodies"
OBJECT = "whatsapp_business_account"

# sent < delivered < read; `failed` wins over all of them: Meta reports a failure after `sent`
# when a message could not be delivered, and a failure is what a moderator must see. `played` (a
# voice message played) implies read.
RANK = {"sent": 1, "delivered": 2, "read": 3, "played": 3, "failed": 4}
V1_STATUS = {"sent": "sent", "delivered": "delivered", "read": "read", "played": "read", "failed": "failed"}

PLATFORM_FIELDS = (
    "phone_number_quality_update",
    "message_template_quality_update",
    "message_template_status_update",
    "template_category_update",
    "account_update",
    "business_capability_update",
    "phone_number_name_update",
    "account_review_update",
)
_VALUE_KEYS = {"messaging_product", "metadata", "contacts", "messages", "statuses", "errors"}
_MESSAGE_KEYS = {"id", "from", "timestamp", "type", "context", "errors"}
_STATUS_KEYS = {"id", "status", "timestamp", "recipient_id", "pricing", "conversation", "errors"}
_PRICING_KEYS = {"billable", "category", "pricing_model", "type"}
# The part of each message type that is the user's own words.
_TEXT_OF_TYPE = {
    "text": ("body",),
    "image": ("caption",),
    "video": ("caption",),
    "document": ("caption",),
    "button": ("text",),
}


def looks_like(value) -> bool:
    return isinstance(value, dict) and (
        value.get("object") == OBJECT
        or (
            isinstance(value.get("entry"), list)
            and value["entry"]
            and isinstance(value["entry"][0], dict)
            and "changes" in value["entry"][0]
        )
    )


@dataclass
class _Status:
    status: str
    at: str  # ISO 8601 UTC: sorts as time does
    recipient: str
    phone: str
    account: str
    category: str  # pricing.category as written ("" when absent)
    pricing_type: str
    pricing_model: str
    billable: str
    origin: str  # conversation.origin.type
    errors: tuple[tuple[str, str], ...]
    where: str


@dataclass
class _Event:
    at: str
    account: str
    field: str
    scope: str
    event: str
    subject: str
    old: str
    new: str
    detail: str
    phone: str  # the phone number id when the body names it
    display: str  # the display phone number, for phone-number events that give only that
    canon: str
    where: str


class _Reader:
    def __init__(self, name: str):
        self.name = name
        self.counts: Counter = Counter()
        self.unused: Counter = Counter()
        self.quarantined: list[Quarantined] = []
        self.phones: dict[str, tuple[str, str, str]] = {}  # phone id -> (display, account, place)
        self.inbound: dict[str, list[tuple[tuple, str]]] = {}
        self.statuses: dict[str, list[_Status]] = {}
        self.opt_outs: dict[str, tuple] = {}
        self.events: list[_Event] = []
        self.account_country: dict[str, tuple[str, str]] = {}  # account -> (at, country)
        self.verified_names: dict[str, tuple[str, str]] = {}  # display digits -> (at, name)
        self.webhook_bodies = 0

    # ----------------------------------------------------------------- bodies

    def quarantine(self, place: str, raw, reasons: list[str]) -> None:
        text = raw if isinstance(raw, str) else compact(raw)
        self.quarantined.append(Quarantined(place, clip(text), reasons))

    def body(self, place: str, value) -> None:
        self.counts["bodies"] += 1
        if isinstance(value, NotJSON):
            self.quarantine(place, value.raw, [f"the body {value.problem}"])
            return
        if not isinstance(value, dict) or value.get("object") != OBJECT:
            self.counts["not_webhook_bodies"] += 1
            self.quarantine(
                place, value, ['the body is not a WhatsApp webhook ("object" is not "whatsapp_business_account")']
            )
            return
        entries = value.get("entry")
        if not isinstance(entries, list):
            self.quarantine(place, value, ["the body has no entry[] list"])
            return
        self.webhook_bodies += 1
        for k in value:
            if k not in ("object", "entry"):
                self.unused[f"body.{k}"] += 1
        for ei, entry in enumerate(entries):
            where = f"{place}: entry[{ei}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
                self.quarantine(where, entry, ["the entry has no changes[] list"])
                continue
            account = text_of(entry.get("id"))
            for k in entry:
                if k not in ("id", "time", "changes"):
                    self.unused[f"entry[].{k}"] += 1
            for ci, change in enumerate(entry["changes"]):
                self.change(f"{where}.changes[{ci}]", account, entry.get("time"), change)

    def change(self, where: str, account: str, entry_time, change) -> None:
        value = change.get("value") if isinstance(change, dict) else None
        if not isinstance(value, dict):
            self.quarantine(where, change, ["the change has no value object"])
            return
        # Meta's own examples sometimes put "field" inside the value.
        field = change.get("field") or value.get("field")
        if field == "messages":
            self.messages_value(where + ".value", account, entry_time, value)
        elif field == "user_preferences":
            self.preferences_value(where + ".value", account, value)
        elif field in PLATFORM_FIELDS:
            self.platform_value(where + ".value", account, entry_time, field, value)
        else:
            self.unused[f"changes[].field={field}"] += 1

    # ----------------------------------------------------------------- messages field

    def _metadata(self, where: str, account: str, value: dict) -> str:
        meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        phone = text_of(meta.get("phone_number_id"))
        if phone and phone not in self.phones:
            self.phones[phone] = (text_of(meta.get("display_phone_number")), account, where)
        for _ in value.get("contacts") or ():
            self.unused["contacts[] (the users' profile names: personal data, not loaded)"] += 1
        return phone

    def messages_value(self, where: str, account: str, entry_time, value: dict) -> None:
        phone = self._metadata(where, account, value)
        for k in value:
            if k not in _VALUE_KEYS:
                self.unused[f"value.{k}"] += 1
        for i, m in enumerate(value.get("messages") or ()):
            self.inbound_message(f"{where}.messages[{i}]", phone, account, m)
        for i, s in enumerate(value.get("statuses") or ()):
            self.status(f"{where}.statuses[{i}]", phone, account, s)
        for i, err in enumerate(value.get("errors") or ()):
            self.value_error(f"{where}.errors[{i}]", phone, account, entry_time, err)

    def _errors(self, prefix: str, errors) -> tuple[tuple[str, str], ...]:
        out = []
        for e in errors if isinstance(errors, list) else ():
            if not isinstance(e, dict):
                continue
            out.append((text_of(e.get("code")), text_of(e.get("title") or e.get("message"))))
            for k in e:
                if k not in ("code", "title"):
                    self.unused[f"{prefix}errors[].{k}"] += 1
        return tuple(sorted(set(out)))

    def inbound_message(self, where: str, phone: str, account: str, m) -> None:
        if not isinstance(m, dict):
            self.quarantine(where, m, ["the message is not a JSON object"])
            return
        mid, user = text_of(m.get("id")), text_of(m.get("from"))
        at = epoch_text(m.get("timestamp"))
        reasons = _missing(phone=phone, id=mid, user=user, at=at, raw_at=m.get("timestamp"))
        if reasons:
            self.quarantine(where, m, reasons)
            return
        self.counts["inbound_messages"] += 1
        typ = text_of(m.get("type"))
        text, reply_to = "", ""
        for k, v in m.items():
            if k in _MESSAGE_KEYS:
                continue
            if k == typ and isinstance(v, dict):
                used = _TEXT_OF_TYPE.get(typ, ())
                for part in used:
                    if isinstance(v.get(part), str):
                        text = v[part]
                if typ == "interactive":
                    for reply in ("button_reply", "list_reply"):
                        if isinstance(v.get(reply), dict) and isinstance(v[reply].get("title"), str):
                            text = v[reply]["title"]
                    used = ("type", "button_reply", "list_reply")
                if typ == "reaction" and v.get("message_id"):
                    reply_to = text_of(v["message_id"])
                    used = ("message_id",)
                for sub in v:
                    if sub not in used:
                        self.unused[f"messages[].{typ}.{sub}"] += 1
            else:
                self.unused[f"messages[].{k}"] += 1
        context = m.get("context")
        if isinstance(context, dict):
            reply_to = reply_to or text_of(context.get("id"))
            for k in context:
                if k != "id":
                    self.unused[f"messages[].context.{k}"] += 1
        errors = self._errors("messages[].", m.get("errors"))
        country = country_of(user)[0]
        core = _row(
            "messages",
            {
                "message_id": mid,
                "sent_at": at,
                "business_id": phone,
                "user_id": user,
                "direction": "inbound",
                "user_country": country,
                "text": text,
                "account_id": account,
                "message_type": typ,
                "channel": "whatsapp",
                "reply_to": reply_to,
                "error_codes": ";".join(c for c, _ in errors),
                "error_titles": ";".join(t for _, t in errors),
            },
        )
        self.inbound.setdefault(mid, []).append((core, where))

    def _country(self, number: str) -> str:
        country, how = country_of(number)
        if how == BY_CALLING_CODE:
            self.counts["user_country_from_calling_code"] += 1
        elif how == UNKNOWN:
            self.counts["user_country_unknown"] += 1
        return country

    def status(self, where: str, phone: str, account: str, s) -> None:
        if not isinstance(s, dict):
            self.quarantine(where, s, ["the status is not a JSON object"])
            return
        status = text_of(s.get("status")).lower()
        if status not in RANK:
            self.unused[f"statuses[].status={status}"] += 1
            return
        mid, user, raw_at = text_of(s.get("id")), text_of(s.get("recipient_id")), s.get("timestamp")
        at = epoch_text(raw_at)
        reasons = _missing(phone=phone, id=mid, user=user, at=at, raw_at=raw_at, user_field="recipient_id")
        if reasons:
            self.quarantine(where, s, reasons)
            return
        self.counts["statuses"] += 1
        for k in s:
            if k not in _STATUS_KEYS:
                self.unused[f"statuses[].{k}"] += 1
        pricing = s.get("pricing") if isinstance(s.get("pricing"), dict) else {}
        for k in pricing:
            if k not in _PRICING_KEYS:
                self.unused[f"statuses[].pricing.{k}"] += 1
        origin = ""
        conv = s.get("conversation")
        if isinstance(conv, dict):
            if isinstance(conv.get("origin"), dict):
                origin = text_of(conv["origin"].get("type"))
            for k in conv:
                if k != "origin":
                    self.unused[f"statuses[].conversation.{k}"] += 1
        self.statuses.setdefault(mid, []).append(
            _Status(
                status,
                at,
                user,
                phone,
                account,
                text_of(pricing.get("category")),
                text_of(pricing.get("type")),
                text_of(pricing.get("pricing_model")),
                text_of(pricing["billable"]) if "billable" in pricing else "",
                origin,
                self._errors("statuses[].", s.get("errors")),
                where,
            )
        )

    def value_error(self, where: str, phone: str, account: str, entry_time, err) -> None:
        at = epoch_text(entry_time)
        if not isinstance(err, dict) or not at:
            self.unused["value.errors[] (system errors without a time)"] += 1
            return
        detail = "; ".join(
            x for x in (text_of(err.get("message")), text_of((err.get("error_data") or {}).get("details"))) if x
        )
        self._event(
            where,
            at,
            account,
            "messages",
            "phone_number",
            "platform_error",
            phone,
            "",
            text_of(err.get("code")),
            (text_of(err.get("title")) + (": " + detail if detail else "")),
            err,
            phone=phone,
        )

    # ----------------------------------------------------------------- user_preferences

    def preferences_value(self, where: str, account: str, value: dict) -> None:
        phone = self._metadata(where, account, value)
        for i, p in enumerate(value.get("user_preferences") or ()):
            place = f"{where}.user_preferences[{i}]"
            if not isinstance(p, dict):
                self.quarantine(place, p, ["the preference is not a JSON object"])
                continue
            category = text_of(p.get("category"))
            if category != "marketing_messages":
                self.unused[f"user_preferences[].category={category}"] += 1
                continue
            user, raw_at = text_of(p.get("wa_id")), p.get("timestamp")
            at = epoch_text(raw_at)
            action = {"stop": "stop_marketing", "resume": "resume_marketing"}.get(text_of(p.get("value")).lower())
            reasons = _missing(phone=phone, id="-", user=user, at=at, raw_at=raw_at, user_field="wa_id")
            if not action:
                reasons.append(f"value {text_of(p.get('value'))!r} is neither stop nor resume")
            if reasons:
                self.quarantine(place, p, reasons)
                continue
            for k in p:
                if k not in ("wa_id", "category", "value", "timestamp"):
                    self.unused[f"user_preferences[].{k}"] += 1
            self.counts["opt_outs"] += 1
            oid = content_id("wa-opt-", phone, user, at, action)
            if oid in self.opt_outs:
                self.counts["repeats"] += 1
                continue
            self.opt_outs[oid] = _row(
                "opt_outs",
                {
                    "opt_out_id": oid,
                    "changed_at": at,
                    "user_id": user,
                    "business_id": phone,
                    "action": action,
                    "account_id": account,
                },
                place,
            )

    # ----------------------------------------------------------------- platform events

    def _event(
        self, where, at, account, field, scope, event, subject, old, new, detail, value, phone="", display=""
    ) -> None:
        self.counts["platform_events"] += 1
        self.events.append(
            _Event(at, account, field, scope, event, subject, old, new, detail, phone, display, compact(value), where)
        )

    def platform_value(self, where: str, account: str, entry_time, field: str, v: dict) -> None:
        at = epoch_text(entry_time)
        reasons = []
        if not at:
            reasons.append("entry[].time is missing or not Unix seconds: a platform event needs a time")
        if not account:
            reasons.append("entry[].id (the WhatsApp Business Account) is missing")
        if reasons:
            self.quarantine(where, v, reasons)
            return
        t = lambda k: text_of(v.get(k))  # noqa: E731
        display = digits(t("display_phone_number"))
        template = ", ".join(x for x in (t("message_template_name"), t("message_template_language")) if x)
        template_subject = f"{template} (id {t('message_template_id')})" if template else t("message_template_id")
        if field == "account_update":
            self.account_update(where, at, account, v)
            return
        # Each field gives event = (scope, event name, subject) and change = (old value, new value, detail).
        phone_subject = "+" + display if display else ""
        if field == "phone_number_quality_update":
            limit = t("max_daily_conversations_per_business")
            detail = f"max_daily_conversations_per_business={limit}" if limit and t("current_limit") else ""
            event = ("phone_number", "phone_number_" + (t("event").lower() or "quality_update"), phone_subject)
            change = (t("old_limit"), t("current_limit") or limit, detail)
        elif field == "message_template_quality_update":
            event = ("template", "template_quality_changed", template_subject)
            change = (t("previous_quality_score"), t("new_quality_score"), "")
        elif field == "message_template_status_update":
            other = v.get("other_info") if isinstance(v.get("other_info"), dict) else {}
            detail = "; ".join(
                x
                for x in (
                    t("reason") if t("reason") not in ("", "NONE") else "",
                    text_of(other.get("title")),
                    text_of(other.get("description")),
                )
                if x
            )
            event = ("template", "template_" + (t("event").lower() or "status_update"), template_subject)
            change = ("", t("event"), detail)
        elif field == "template_category_update":
            event = ("template", "template_category_changed", template_subject)
            change = (t("previous_category"), t("new_category"), "")
        elif field == "business_capability_update":
            new = t("max_daily_conversations_per_business") or t("max_daily_conversation_per_phone")
            rest = {k: x for k, x in v.items() if k not in ("max_daily_conversations_per_business",)}
            event = ("account", "business_capability_update", account)
            change = ("", new, compact(rest) if rest else "")
        elif field == "phone_number_name_update":
            decision = t("decision")
            if decision.upper() == "APPROVED" and t("requested_verified_name") and display:
                prev = self.verified_names.get(display)
                if prev is None or (at, t("requested_verified_name")) > prev:
                    self.verified_names[display] = (at, t("requested_verified_name"))
            rejection = t("rejection_reason") if t("rejection_reason") not in ("", "NONE") else ""
            event = ("phone_number", "display_name_" + (decision.lower() or "update"), phone_subject)
            change = ("", t("requested_verified_name"), rejection)
        else:  # account_review_update
            event = ("account", "account_review_" + (t("decision").lower() or "update"), account)
            change = ("", t("decision"), "")
        # Only a phone number's event carries the display number: it is how the event finds its phone number id.
        self._event(
            where, at, account, field, *event, *change, v, display=display if event[0] == "phone_number" else ""
        )

    def account_update(self, where: str, at: str, account: str, v: dict) -> None:
        ev = text_of(v.get("event"))
        new, detail = "", ""
        info = lambda k: v.get(k) if isinstance(v.get(k), dict) else {}  # noqa: E731
        if isinstance(v.get("restriction_info"), list):
            items = [r for r in v["restriction_info"] if isinstance(r, dict)]
            new = ";".join(text_of(r.get("restriction_type")) for r in items)
            detail = "; ".join(
                f"{text_of(r.get('restriction_type'))} until {text_of(r.get('expiration'))}" for r in items
            )
        if ev == "ACCOUNT_VIOLATION":
            new = text_of(info("violation_info").get("violation_type"))
        elif ev == "DISABLED_UPDATE":
            ban = info("ban_info")
            new = text_of(ban.get("waba_ban_state"))
            detail = f"ban date {text_of(ban.get('waba_ban_date'))}" if ban.get("waba_ban_date") else ""
        elif ev == "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE":
            new = text_of(v.get("country")).upper()
            if len(new) == 2:
                prev = self.account_country.get(account)
                if prev is None or (at, new) > prev:
                    self.account_country[account] = (at, new)
        elif ev == "VOLUME_BASED_PRICING_TIER_UPDATE":
            tier = info("volume_tier_info")
            new = text_of(tier.get("tier"))
            detail = " ".join(
                x
                for x in (
                    text_of(tier.get("pricing_category")),
                    ("in " + text_of(tier.get("region"))) if tier.get("region") else "",
                    ("from " + text_of(tier.get("effective_month"))) if tier.get("effective_month") else "",
                )
                if x
            )
        elif not new:
            rest = {k: x for k, x in v.items() if k != "event"}
            detail = compact(rest) if rest else ""
        self._event(
            where, at, account, "account_update", "account", ev.lower() or "account_update", account, "", new, detail, v
        )

    # ----------------------------------------------------------------- the end

    def finish(self, tables: Tables) -> None:
        self._finish_inbound(tables)
        self._finish_statuses(tables)
        for oid, row in self.opt_outs.items():
            tables.add("opt_outs", oid, row)
        self._finish_events(tables)
        self._finish_businesses(tables)

    def _finish_inbound(self, tables: Tables) -> None:
        for mid, versions in self.inbound.items():
            row, repeats, others = keep_one_message(mid, versions)
            tables.add("messages", mid, row)
            self._country(row[3])
            self.counts["repeats"] += repeats
            self.quarantined.extend(others)

    def _finish_statuses(self, tables: Tables) -> None:
        for mid, recs in self.statuses.items():
            unique = {}
            for r in recs:
                unique.setdefault((r.status, r.at, r.category, r.pricing_type, r.errors), r)
            self.counts["repeats"] += len(recs) - len(unique)
            recs = sorted(unique.values(), key=lambda r: (r.at, RANK[r.status], r.status, r.category))
            first = recs[0]
            sides = {(r.phone, r.recipient) for r in recs}
            if len(sides) > 1:
                self.quarantine(
                    first.where,
                    {"id": mid, "statuses": [r.__dict__ for r in recs]},
                    [f"the statuses of message {mid} name different businesses or recipients"],
                )
                continue
            self._status_rows(tables, mid, recs)
            self.counts["outbound_messages"] += 1
            final = max(recs, key=lambda r: (RANK[r.status], r.at))
            priced = [r for r in recs if r.category]
            raw_category = priced[0].category if priced else next((r.origin for r in recs if r.origin), "")
            category = v1_category(raw_category)
            if category is None:
                reason = (
                    f"pricing.category {raw_category!r} is not a category TrustDesk knows"
                    if raw_category
                    else "none of its statuses has pricing.category or conversation.origin.type, "
                    "and log format v1 needs a category for an outbound message"
                )
                self.quarantine(
                    first.where,
                    {"id": mid, "statuses": [r.__dict__ for r in recs]},
                    [f"outbound message {mid}: {reason}"],
                )
                continue
            errors = sorted({e for r in recs for e in r.errors})
            price = priced[0] if priced else first
            row = _row(
                "messages",
                {
                    "message_id": mid,
                    "sent_at": first.at,
                    "business_id": first.phone,
                    "user_id": first.recipient,
                    "direction": "outbound",
                    "user_country": self._country(first.recipient),
                    "category": category,
                    "template": UNNAMED_TEMPLATE if category in TEMPLATE_CATEGORIES else "",
                    "status": V1_STATUS[final.status],
                    "account_id": first.account,
                    "channel": "whatsapp",
                    "pricing_category": raw_category,
                    "pricing_type": price.pricing_type,
                    "pricing_model": price.pricing_model,
                    "billable": price.billable,
                    "statuses_seen": ";".join(sorted({r.status for r in recs}, key=lambda s: (RANK[s], s))),
                    "error_codes": ";".join(c for c, _ in errors),
                    "error_titles": ";".join(t for _, t in errors),
                },
                first.where,
            )
            tables.add("messages", mid, row)

    def _status_rows(self, tables: Tables, mid: str, recs: list[_Status]) -> None:
        for r in recs:  # earliest first: the first of each status wins
            sid = f"{mid}:{V1_STATUS[r.status]}"
            if tables.has("message_statuses", sid):
                continue
            tables.add(
                "message_statuses",
                sid,
                _row(
                    "message_statuses",
                    {
                        "status_id": sid,
                        "message_id": mid,
                        "occurred_at": r.at,
                        "business_id": r.phone,
                        "user_id": r.recipient,
                        "status": V1_STATUS[r.status],
                        "pricing_category": r.category,
                        "pricing_type": r.pricing_type,
                        "billable": r.billable,
                        "error_codes": ";".join(c for c, _ in r.errors),
                        "error_titles": ";".join(t for _, t in r.errors),
                        "account_id": r.account,
                    },
                    r.where,
                ),
            )

    def _finish_events(self, tables: Tables) -> None:
        by_account: dict[str, list[str]] = {}
        by_display: dict[str, set[str]] = {}
        for phone, (display, account, _) in self.phones.items():
            by_account.setdefault(account, []).append(phone)
            by_display.setdefault(digits(display), set()).add(phone)
        for ev in self.events:
            if ev.scope == "phone_number":
                ids = {ev.phone} if ev.phone else by_display.get(ev.display, set())
                targets = sorted(ids) if len(ids) == 1 else [ev.account]
            else:
                # An account's or a template's event concerns every phone number of the account
                # that the file shows; without any, the account itself stands for the business.
                targets = sorted(by_account.get(ev.account, ())) or [ev.account]
            for business in targets:
                eid = content_id("wa-ev-", ev.account, ev.field, ev.at, ev.canon, business)
                if tables.has("platform_events", eid):
                    self.counts["repeats"] += 1
                    continue
                tables.add(
                    "platform_events",
                    eid,
                    _row(
                        "platform_events",
                        {
                            "event_id": eid,
                            "occurred_at": ev.at,
                            "business_id": business,
                            "event": ev.event,
                            "account_id": ev.account,
                            "scope": ev.scope,
                            "subject": ev.subject,
                            "old_value": ev.old,
                            "new_value": ev.new,
                            "detail": ev.detail,
                        },
                        ev.where,
                    ),
                )

    def _finish_businesses(self, tables: Tables) -> None:
        for phone, (display, account, where) in self.phones.items():
            d = digits(display)
            named = self.verified_names.get(d)
            country = (self.account_country.get(account) or ("", ""))[1] or country_of(d)[0]
            if not country:
                self.counts["business_country_unknown"] += 1
            self.counts["businesses"] += 1
            tables.add(
                "businesses",
                phone,
                _row(
                    "businesses",
                    {
                        "business_id": phone,
                        "name": named[1] if named else ("+" + d if d else phone),
                        "category": "other",
                        "country": country,
                        "account_id": account,
                        "display_phone_number": display,
                    },
                    where,
                ),
            )


def _missing(*, phone, id, user, at, raw_at, user_field="from") -> list[str]:
    reasons = []
    if not phone:
        reasons.append("value.metadata.phone_number_id (the business) is missing")
    if not id:
        reasons.append("id is missing")
    if not user:
        reasons.append(f"{user_field} (the user) is missing")
    if not at:
        reasons.append(
            "timestamp is missing" if raw_at in (None, "") else f"timestamp {text_of(raw_at)!r} is not Unix seconds"
        )
    return reasons


_HEADERS: dict[str, tuple[str, ...]] = {}


def _row(kind_name: str, values: dict, place: str | None = None) -> tuple:
    """A row in the order of the kind's file header; without place, the row less its place."""
    head = _HEADERS.get(kind_name) or _HEADERS.setdefault(kind_name, header(kind_name)[:-1])
    row = tuple(map(values.get, head, repeat("", len(head))))
    return row if place is None else row + (place,)


def convert(path: Path, out_dir: Path, *, max_bytes: int | None = None, **_options) -> Conversion:
    name = path.name
    reader = _Reader(name)
    for place, value in file_values(path, max_bytes):
        reader.body(place, value)
    if reader.webhook_bodies == 0:
        n = reader.counts["bodies"]
        raise UnreadableFile(
            f"{name}: none of its {n:,} JSON value{'s' if n != 1 else ''} is a WhatsApp webhook body "
            f'(a body has "object": "whatsapp_business_account")'
        )
    return write_conversion(path, out_dir, NAME, reader.finish, reader.quarantined, reader.counts, reader.unused)
