//! The janitor: rules that keep a large store clean. A plan names who, what and why; applying
//! it recomputes the plan inside one write transaction (under the store's lock) and changes
//! every user in it, with one audit row each.

use serde::Serialize;
use serde_json::json;

use crate::audit::{AuditEvent, Op};
use crate::error::Result;
use crate::model::{Span, Status, Timestamp, TokenLabel, UserFilter, UserQuery, UserRecord};
use crate::settings::Settings;
use crate::store::NewAudit;

/// Which rules to apply (none given: nothing to do).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Disable enabled users not used for this long (created before, never or last used
    /// before).
    pub disable_unused_since: Option<Span>,
    /// Delete the rows of users disabled for this long (their audit history stays).
    pub remove_disabled_older_than: Option<Span>,
    /// Disable pending users whose enrollment is older than the `pending-ttl` setting, and the
    /// stale pending tokens of users who have a newer or an enabled one.
    pub expire_pending: bool,
}

impl Policy {
    /// Whether any rule is given.
    pub fn is_empty(&self) -> bool {
        self.disable_unused_since.is_none()
            && self.remove_disabled_older_than.is_none()
            && !self.expire_pending
    }
}

/// What the janitor does to one user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Disable (erase the secret): an unused enabled user.
    Disable,
    /// Disable (erase the secret): a pending enrollment past `pending-ttl`.
    ExpirePending,
    /// Delete the row of a long-disabled user.
    Remove,
}

impl Action {
    /// The action's name, as in `--json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Disable => "disable",
            Action::ExpirePending => "expire-pending",
            Action::Remove => "remove",
        }
    }
}

/// One user's entry in the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// Who.
    pub user: String,
    /// What.
    pub action: Action,
    /// Their status now.
    pub status: Status,
    /// Why, in words.
    pub reason: String,
    /// The time the rule looked at: last use (or creation, never used), the pending
    /// enrollment's last change, or the disabling.
    pub since: Timestamp,
    /// The one token the action is for (a stale pending token beside the user's live ones);
    /// `None`: the whole user.
    pub token: Option<TokenLabel>,
    #[serde(skip)]
    pub(crate) token_id: Option<String>,
    #[serde(skip)]
    pub(crate) id: String,
    #[serde(skip)]
    pub(crate) name: crate::model::UserName,
}

/// The plan: every user the rules select, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Users to disable or remove, by name.
    pub actions: Vec<Planned>,
    /// Set when `--expire-pending` was asked but `pending-ttl` is 0 (never): nothing expires.
    pub pending_never_expires: bool,
}

impl Plan {
    /// How many entries have this action.
    pub fn count(&self, action: Action) -> usize {
        self.actions.iter().filter(|p| p.action == action).count()
    }
}

/// The users matching `query`, any lock judged at `now` (the plan's one clock reading).
fn users(
    rows: &mut dyn crate::store::Rows,
    query: UserQuery,
    now: crate::model::Timestamp,
) -> Result<Vec<UserRecord>> {
    crate::store::users_matching(rows, &query, now)
}

/// Computes the plan in the transaction `rows` belongs to.
pub(crate) fn plan(
    rows: &mut dyn crate::store::Rows,
    settings: &Settings,
    policy: &Policy,
    now: Timestamp,
) -> Result<Plan> {
    let mut plan = Plan::default();
    if let Some(span) = policy.disable_unused_since {
        let cutoff = span.before(now);
        for r in users(
            rows,
            UserQuery {
                filter: UserFilter::Status(Status::Enabled),
                unused_before: Some(cutoff),
                ..UserQuery::default()
            },
            now,
        )? {
            let (since, reason) = match r.last_used_at {
                Some(t) => (t, format!("not used since {t} (more than {span})")),
                None => (
                    r.created_at,
                    format!(
                        "never used since enrolled at {} (more than {span})",
                        r.created_at
                    ),
                ),
            };
            plan.actions
                .push(planned(&r, Action::Disable, since, reason));
        }
    }
    if policy.expire_pending {
        match settings.pending_ttl() {
            None => plan.pending_never_expires = true,
            Some(ttl) => {
                let cutoff = ttl.before(now);
                let stale = |enrolled: Timestamp| enrolled.unix() < cutoff.unix();
                // One read of every user with their tokens serves both cases below; a user the
                // rule above disables is left to it.
                let planned_ids: std::collections::HashSet<String> =
                    plan.actions.iter().map(|p| p.id.clone()).collect();
                for r in users(rows, UserQuery::default(), now)? {
                    if planned_ids.contains(&r.id) {
                        continue;
                    }
                    // A pending user (no enabled token) whose newest pending token is stale:
                    // the whole user, as `list --pending-older-than` selects them.
                    if r.status == Status::Pending && stale(r.enrolled_at) {
                        let reason = format!(
                            "pending since {} (longer than pending-ttl {ttl})",
                            r.enrolled_at
                        );
                        plan.actions.push(planned(
                            &r,
                            Action::ExpirePending,
                            r.enrolled_at,
                            reason,
                        ));
                        continue;
                    }
                    // A live token beside stale pending ones (an enabled one, or a newer
                    // pending one): those tokens only. They can no longer be confirmed, and
                    // they count toward max-tokens.
                    for t in &r.tokens {
                        if t.status == Status::Pending && stale(t.enrolled_at) {
                            let reason = format!(
                                "token {} pending since {} (longer than pending-ttl {ttl})",
                                t.label, t.enrolled_at
                            );
                            plan.actions.push(Planned {
                                status: t.status,
                                token: Some(t.label.clone()),
                                token_id: Some(t.id.clone()),
                                ..planned(&r, Action::ExpirePending, t.enrolled_at, reason)
                            });
                        }
                    }
                }
            }
        }
    }
    if let Some(span) = policy.remove_disabled_older_than {
        for r in users(
            rows,
            UserQuery {
                filter: UserFilter::Status(Status::Disabled),
                disabled_before: Some(span.before(now)),
                ..UserQuery::default()
            },
            now,
        )? {
            let since = r.disabled_at.unwrap_or(r.updated_at);
            let reason = format!("disabled since {since} (more than {span})");
            plan.actions
                .push(planned(&r, Action::Remove, since, reason));
        }
    }
    // The rules select disjoint statuses: each user appears once, or once per stale token.
    plan.actions
        .sort_by(|a, b| (&a.user, &a.token).cmp(&(&b.user, &b.token)));
    Ok(plan)
}

fn planned(r: &UserRecord, action: Action, since: Timestamp, reason: String) -> Planned {
    Planned {
        user: r.user.as_str().to_owned(),
        action,
        status: r.status,
        reason,
        since,
        token: None,
        token_id: None,
        id: r.id.clone(),
        name: r.user.clone(),
    }
}

/// Applies `plan` in the transaction `rows` belongs to: one audit row per user, in the plan's
/// order. Set-based: the rows change in one batch per action kind, then the audit rows are
/// appended in one batch (on PostgreSQL, a handful of statements for the whole plan).
pub(crate) fn apply(rows: &mut dyn crate::store::Rows, op: &Op, plan: &Plan) -> Result<()> {
    if plan.actions.is_empty() {
        return Ok(());
    }
    let mut disable = Vec::new();
    let mut disable_tokens = Vec::new();
    let mut remove = Vec::new();
    let mut audits = Vec::with_capacity(plan.actions.len());
    for p in &plan.actions {
        let mut details = json!({
            "by": "janitor",
            "rule": p.action,
            "reason": p.reason,
            "previous_status": p.status,
        });
        if let Some(label) = &p.token {
            details["token"] = label.as_str().into();
        }
        let details = details.to_string();
        let event = match (p.action, &p.token_id) {
            (Action::ExpirePending, Some(token_id)) => {
                disable_tokens.push((p.id.as_str(), token_id.as_str()));
                AuditEvent::Disable
            }
            (Action::Disable | Action::ExpirePending, _) => {
                disable.push(p.id.as_str());
                AuditEvent::Disable
            }
            (Action::Remove, _) => {
                remove.push(p.id.as_str());
                AuditEvent::Remove
            }
        };
        audits.push(NewAudit {
            event,
            user: Some(&p.name),
            details,
        });
    }
    if !disable.is_empty() || !disable_tokens.is_empty() {
        rows.note_erasure()?;
        rows.disable_many(&disable, op.now)?;
    }
    for (id, token_id) in disable_tokens {
        rows.disable_token(id, token_id, op.now)?;
    }
    if !remove.is_empty() {
        rows.delete_users(&remove)?;
    }
    rows.audit_many(op, &audits)
}
