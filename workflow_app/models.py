"""Every model, imported in one place so the metadata (and Alembic) sees all tables."""

from workflow_app.alerts.deadlines import CaseDeadline
from workflow_app.alerts.models import Alert, AlertKind, AlertStatus
from workflow_app.announcements.models import Announcement
from workflow_app.attachments.models import Attachment
from workflow_app.auth.models import LoginAttempt, SecurityEvent
from workflow_app.calendar.models import CalendarDay, CalendarYear, DayKind
from workflow_app.casefile.models import Submission
from workflow_app.db import Base
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.directory.models import Group, Region, RegionLevel, Role, User, user_groups
from workflow_app.documents.models import Document
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.messages.models import MessageKind, UserMessage
from workflow_app.notifications.models import Channel, OutboxMessage, OutboxStatus
from workflow_app.numbering.models import NumberSequence
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.reports.models import PartyCoverageSnapshot
from workflow_app.tasks.models import HumanTask, TaskComment, TaskCopy, TaskStatus, TaskUrge

__all__ = [
    "Announcement", "Attachment", "CaseDeadline", "Document", "NumberSequence", "Submission",
    "Alert", "AlertKind", "AlertStatus", "AuditEvent", "Base", "Channel", "OutboxMessage", "OutboxStatus", "CalendarDay", "CalendarYear", "DayKind", "Group", "HumanTask", "InstanceStatus", "OrgStatus", "OrgType", "Organization",
    "PartyCoverageSnapshot", "PartyOrgStatus", "ProcessDefinition", "ProcessInstance", "Region", "RegionLevel", "Role", "TaskComment", "TaskCopy", "TaskStatus", "TaskUrge",
    "User", "user_groups", "LoginAttempt", "SecurityEvent", "MessageKind", "UserMessage",
]
