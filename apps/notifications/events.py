"""The kinds of event people are told about, one list for every channel.

站内信 carry every event; email, SMS and the group robots (企业微信/钉钉) carry the kinds a person (or an
administrator's default per role) switched on. The codes are stable identifiers: the institution webhooks of
issue 21 §4 can subscribe to the same codes (``WEBHOOK_EVENTS`` names the ones an institution may receive).

A caller of ``apps.messaging.services.message_send`` may name the kind (``event="offer.created"``); otherwise
``classify`` derives it from the message's category and link, so every existing message has a kind."""
from dataclasses import dataclass

EMAIL, SMS, WECOM, DINGTALK = "email", "sms", "wecom", "dingtalk"
# The channels a person chooses per kind (站内信 always arrive: they are the record).
PERSONAL_CHANNELS = [(EMAIL, "邮件"), (SMS, "短信")]
ROBOT_KINDS = [(WECOM, "企业微信群机器人"), (DINGTALK, "钉钉群机器人")]
CHANNEL_LABELS = dict(PERSONAL_CHANNELS + ROBOT_KINDS)


@dataclass(frozen=True)
class EventKind:
    code: str
    label: str
    description: str = ""
    defaults: tuple = ()          # personal channels on when neither the person nor a role default says otherwise
    robot: bool = False           # may be sent to a connected group robot


EVENTS = [
    EventKind("offer.created", "新派单待受理", "一笔派单发给贵机构（含人工加派）", (EMAIL,), robot=True),
    EventKind("offer.expiring", "派单即将超时", "派单在受理截止前仍未答复", (EMAIL, SMS), robot=True),
    EventKind("offer.withdrawn", "派单已撤回", "尚未答复的派单被撤回", (), robot=True),
    EventKind("offer.chosen", "客户已选择机构", "客户选定了机构（贵机构或其他机构）", (EMAIL,), robot=True),
    EventKind("offer.changed", "派单结果与时限变更", "受理时限延长、派单结束等", ()),
    EventKind("choice.expiring", "客户选择即将到期", "客户选择机构的期限将到（提醒客户经理）", (EMAIL, SMS), robot=True),
    EventKind("case.changed", "案件进展", "分配、签约、放款等案件变化", ()),
    EventKind("settlement.changed", "结算进展", "账单、付款、确认等结算变化", ()),
    EventKind("settlement.due", "结算单即将到期", "结算单付款期限将到", (EMAIL,), robot=True),
    EventKind("settlement.overdue", "结算单已逾期", "结算单超过付款期限未付款", (EMAIL, SMS), robot=True),
    EventKind("complaint.changed", "投诉进展", "投诉的受理、处理与回复", ()),
    EventKind("complaint.due", "投诉环节即将超时", "投诉当前环节将超过处理期限", (EMAIL,)),
    EventKind("workflow", "业务流转提醒", "审核、补件、移交等其他业务提醒", ()),
    EventKind("finance", "财务提醒", "充值、调账、账务核对", ()),
    EventKind("system", "系统通知", "账户、认证与安全", ()),
    EventKind("broadcast", "公告", "平台群发的公告", ()),
]
BY_CODE = {e.code: e for e in EVENTS}
EVENT_CHOICES = [(e.code, e.label) for e in EVENTS]
ROBOT_EVENT_CHOICES = [(e.code, e.label) for e in EVENTS if e.robot]
# What an institution's webhook (issue 21 §4) may subscribe to.
WEBHOOK_EVENTS = ["offer.created", "offer.expiring", "offer.withdrawn", "offer.chosen", "case.changed",
                  "settlement.changed", "settlement.due", "settlement.overdue"]


def label(code: str) -> str:
    kind = BY_CODE.get(code)
    return kind.label if kind else code


def classify(*, category: str, link: str) -> str:
    """The kind of a message that did not name one, from its category and where its link points."""
    link = link or ""
    if category == "broadcast":
        return "broadcast"
    if category == "complaint" or "/complaints/" in link:
        return "complaint.changed"
    if "/dispatch/offers" in link:
        return "offer.changed"
    if "/settlements/" in link:
        return "settlement.changed"
    if "/cases/" in link:
        return "case.changed"
    if category == "finance" or "/finance/" in link or "/recharge" in link:
        return "finance"
    if category == "workflow":
        return "workflow"
    return "system"
