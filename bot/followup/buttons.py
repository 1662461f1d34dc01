"""The buttons of follow-up, one typed schema per prefix (see bot.callbacks): a delegate's
(`fu`, ownership checked on each recommendation), an organizer's board (`fa`) and escalation
actions (`fe`), the digest switch (`dg`) and the weekly summary switch (`wk`)."""

from __future__ import annotations

from bot import callbacks
from bot.callbacks import Id, Number, OneOf, PageNo

STATUS_CODES = {"ns": "not_started", "ip": "in_progress", "dn": "done", "bk": "blocked"}
PERCENTS = ("25", "50", "75")
EXTEND_CHOICES = (7, 14, 30)

# A delegate: whether the recommendation is theirs is checked when pressed.
FU = callbacks.Prefix("fu")
TASKS = FU.button("t", PageNo())
OPEN = FU.button("o", Id("rec"))
STATUS = FU.button("s", Id("rec"), OneOf("status", tuple(STATUS_CODES)))
PROGRESS = FU.button("p", Id("rec"), OneOf("pct", PERCENTS))
SAVE = FU.button("v", Id("rec"))

# An organizer's follow-up board.
FA = callbacks.Prefix("fa", role="organizer")
HOME = FA.button("home")
OVERDUE = FA.button("od", PageNo())
ALL = FA.button("ls", PageNo())
UPDATES = FA.button("lu")
TIMELINE = FA.button("tl", Id("rec"))
EVIDENCE = FA.button("ev", Id("rec"))
CHART = FA.button("ch")
XLSX = FA.button("xx")
CSV = FA.button("xc")

# An organizer acting on an escalation (each asks for confirmation first).
FE = callbacks.Prefix("fe", role="organizer")
REPROMPT = FE.button("rp", Id("rec"))
REPROMPT_YES = FE.button("rpy", Id("rec"))
REASSIGN = FE.button("ra", Id("rec"))
PICK = FE.button("pick", Id("rec"), Id("user"))
INVITE = FE.button("inv", Id("rec"))
EXTEND = FE.button("ex", Id("rec"))
EXTEND_BY = FE.button("xd", Id("rec"), OneOf("days", tuple(str(n) for n in EXTEND_CHOICES)))
EXTEND_YES = FE.button("exy", Id("rec"), Number("day"))
DROP = FE.button("dr", Id("rec"))
DROP_YES = FE.button("dry", Id("rec"))
CANCEL = FE.button("no", Number("rec"))

# A participant's "You said, we did" digest.
DG = callbacks.Prefix("dg")
DIGEST_OFF = DG.button("off")
DIGEST_ON = DG.button("on")

# An organizer's weekly summary.
WK = callbacks.Prefix("wk", role="organizer")
WEEKLY_OFF = WK.button("off")
WEEKLY_ON = WK.button("on")
