"""What audit action codes, object types and channels mean, in the reader's language.

``renkou.core.audit.ACTION_LABELS`` names the register's and the accounts' actions; the
other apps' actions (benefits, exchange, quality, statistics, jobs, exports) are named here,
so that the audit page never shows a bare code. Codes built from a status
(``benefits.cycle.notice``, ``exchange.worklist.dismissed``, ``event.applied``) are listed
one by one too.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from renkou.core.audit import ACTION_LABELS

MORE_ACTION_LABELS: dict[str, str | Promise] = {
    # accounts
    "user.password_reset": _("Reset a password"),
    "user.deactivate": _("Deactivated a user"),
    "user.reactivate": _("Reactivated a user"),
    # register
    "person.create": _("Created a person"),
    "event.submitted": _("Reported a change"),
    "event.reviewed": _("Reviewed a change"),
    # jobs and lists
    "job.start": _("Started a background job"),
    "job.restart": _("Started a failed background job again"),
    "job.lost": _("Failed a background job whose worker stopped"),
    "job.requeue": _("Queued again a background job whose worker stopped"),
    "list.export": _("Exported a list (xlsx)"),
    "keys.export": _("Exported the keys (encrypted with a passphrase)"),
    "keys.import": _("Put the keys back from an exported copy"),
    "backup.create": _("Made a backup"),
    "backup.restore": _("Restored the database from a backup"),
    "backup.prune": _("Removed old scheduled backups"),
    # notifications and monthly reports
    "notification.read": _("Marked a notification read"),
    "notification.read_all": _("Marked all notifications read"),
    "empty_report.file": _("Filed a month with nothing to report (本月无变动)"),
    # data quality
    "quality.run": _("Ran the logic checks"),
    "quality.confirm": _("Confirmed a flagged record correct"),
    "quality.unconfirm": _("Withdrew a confirmation"),
    # statistics
    "statistics.export": _("Exported statistics"),
    "statistics.srb_setting": _("Changed the sex-ratio setting"),
    # department rosters
    "exchange.import": _("Imported a department roster"),
    "exchange.link": _("Matched a roster with the register"),
    "exchange.linkage_model.train": _("Trained the matching model"),
    "exchange.push": _("Received a pushed notification"),
    "exchange.quarantine_export": _("Downloaded refused roster rows"),
    "exchange.sender_create": _("Registered a sending department"),
    "exchange.worklist.confirmed": _("Confirmed a roster match"),
    "exchange.worklist.event": _("Reported a change from a roster"),
    "exchange.worklist.corrected": _("Corrected the register from a roster"),
    "exchange.worklist.dismissed": _("Dismissed a worklist item"),
    # benefits
    "benefits.childcare_application.recorded": _("Recorded a childcare subsidy application"),
    "benefits.childcare_application.ended": _("Ended or withdrew a childcare subsidy application"),
    "benefits.cycle.computed": _("Computed a benefit cycle"),
    "benefits.cycle.notice": _("Put a benefit list on public notice"),
    "benefits.cycle.approved": _("Approved a benefit cycle"),
    "benefits.cycle.paying": _("Issued a benefit payment file"),
    "benefits.cycle.closed": _("Reconciled a benefit cycle"),
    "benefits.entitlement.stopped": _("Stopped a benefit after a death"),
    "benefits.entitlement.recover": _("Marked a benefit paid after death for recovery"),
    "benefits.objection.raised": _("Recorded an objection"),
    "benefits.objection.resolved": _("Resolved an objection"),
    "benefits.payment_file.exported": _("Made a payment file"),
    "benefits.payment_file.downloaded": _("Downloaded a payment file"),
    "benefits.payment_file.reconciled": _("Imported the bank's payment result"),
    "benefits.person.viewed": _("Viewed a person's benefits"),
    "benefits.bank_account.set": _("Set a bank account"),
    "benefits.certificate.added": _("Added an only-child certificate"),
    "benefits.certificate.revoked": _("Revoked an only-child certificate"),
    "benefits.facts.imported": _("Imported a file of benefit facts"),
    "benefits.facts.sample": _("Downloaded a sample file of benefit facts"),
    "benefits.adoption.added": _("Recorded an adoption"),
    "benefits.disability.added": _("Recorded a child's disability"),
    "benefits.disability.ended": _("Ended a child's disability"),
    # floating population (messages between areas)
    "floating.notice_create": _("Wrote an arrival notice"),
    "floating.request_create": _("Wrote a verification request"),
    "floating.reply_create": _("Wrote a reply to a notice or request"),
    "floating.send": _("Sent a message to another area"),
    "floating.receive": _("Received a message from another server"),
    "floating.answered": _("Matched a reply to its notice or request"),
    "floating.review": _("Reviewed a reply"),
    "floating.peer_create": _("Registered a peer server"),
    "floating.peer_token": _("Kept a peer server's token"),
    "floating.peer_revoke": _("Revoked a peer server"),
    "floating.no_peer_export": _("Exported the messages for areas without a peer server"),
    "floating.reply_import": _("Imported replies from a file"),
    # petitions and hotline cases
    "cases.case.registered": _("Registered a petition or hotline case"),
    "cases.case.accepted": _("Accepted a case"),
    "cases.case.assigned": _("Assigned a case"),
    "cases.case.step": _("Recorded a step of a case"),
    "cases.case.extended": _("Extended the answer's deadline of a case"),
    "cases.case.closed": _("Replied to and closed a case"),
    "cases.case.viewed": _("Viewed a case"),
    "cases.petitioner.unmask": _("Showed a petitioner's name and telephone in full"),
    # target agreements of units
    "targets.agreement.saved": _("Set the targets of a target agreement"),
    "targets.agreement.copied": _("Copied last year's target agreement"),
    "targets.scorecard.export": _("Downloaded the scores of a target agreement"),
    # health services (国免, 两癌, 婚检): records kept with consent
    "health.institution.created": _("Registered a health institution"),
    "health.record.opened": _("Opened a service record with consent"),
    "health.record.viewed": _("Viewed a service record"),
    "health.person.viewed": _("Viewed a person's service records"),
    "health.step.recorded": _("Recorded a step of a service record"),
    "health.consent.withdrawn": _("Recorded the withdrawal of a consent"),
    "health.figure.set": _("Entered a yearly figure of the health services"),
    "health.roster.imported": _("Imported a roster of health services"),
    "health.roster.record": _("Recorded the steps of a service record from a roster"),
}

OBJECT_LABELS: dict[str, str | Promise] = {
    "person": _("Person"),
    "registry.person": _("Person"),
    "household": _("Household"),
    "event": _("Change"),
    "change_report": _("Change report"),
    "user": _("User"),
    "api_token": _("API token"),
    "job": _("Background job"),
    "backup": _("Backup"),
    "orgunit": _("Org unit"),
    "load": _("File load"),
    "roster_import": _("Roster import"),
    "roster_row": _("Worklist item"),
    "linkage_model": _("Matching model"),
    "sender": _("Sending department"),
    "sex_ratio_setting": _("Sex-ratio setting"),
    "benefits.cycle": _("Benefit cycle"),
    "benefits.decision": _("Benefit decision"),
    "benefits.entitlement": _("Benefit entitlement"),
    "benefits.batch": _("Payment file"),
    "benefits.fact_import": _("Benefit fact import"),
    "floating_message": _("Message between areas"),
    "floating_peer": _("Peer server"),
    "cases.case": _("Case"),
    "targets.agreement": _("Target agreement"),
    "health.record": _("Service record"),
    "health.institution": _("Health institution"),
    "health.figure": _("Yearly figure of the health services"),
    "health.roster_import": _("Roster of health services"),
    # lists exported with renkou.web.lists (object type = the list's name)
    "audit": _("Audit log"),
    "findings": _("Findings"),
    "worklist": _("Worklist"),
    "decisions": _("Benefit decisions"),
}

CHANNEL_LABELS: dict[str, str | Promise] = {
    "web": _("web page"),
    "api": _("API"),
    "cli": _("command line"),
    "task": _("background job"),
}


def all_action_labels() -> dict[str, str | Promise]:
    """Every known action code with its label."""
    return {**ACTION_LABELS, **MORE_ACTION_LABELS}


def action_label(code: str) -> str:
    """The action's name in the current language ("" for an unknown code)."""
    label = MORE_ACTION_LABELS.get(code) or ACTION_LABELS.get(code)
    return str(label) if label else ""


def object_label(object_type: str) -> str:
    """The object type's name in the current language (the code itself if unknown)."""
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label else object_type


def channel_label(channel: str) -> str:
    """The channel's name in the current language (the code itself if unknown)."""
    label = CHANNEL_LABELS.get(channel)
    return str(label) if label else channel
