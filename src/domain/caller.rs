use super::{Integration, TeamId};

/// Who is calling, as established by authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A service key: full access to every team.
    Service,
    /// A team token: only that team's resources.
    Team(TeamId),
}

/// Why a caller may not see something. A team caller is never told whether a resource it
/// may not see exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    NotFound,
    PermissionDenied,
}

impl Caller {
    pub fn may_act_for(&self, team: &TeamId) -> bool {
        match self {
            Self::Service => true,
            Self::Team(own) => own == team,
        }
    }

    pub fn team(&self) -> Option<&TeamId> {
        match self {
            Self::Service => None,
            Self::Team(team) => Some(team),
        }
    }

    /// The team a listing or figure covers: a team caller's own (and no other); for a
    /// service key, the team asked for, or every team (`None`).
    pub fn scope(&self, requested: Option<TeamId>) -> Result<Option<TeamId>, Denial> {
        match (self, requested) {
            (Self::Team(own), None) => Ok(Some(own.clone())),
            (caller, Some(team)) if !caller.may_act_for(&team) => Err(Denial::PermissionDenied),
            (_, team) => Ok(team),
        }
    }

    /// The integration if this caller may see it.
    pub fn visible(&self, found: Option<Integration>) -> Result<Integration, Denial> {
        match (self, found) {
            (Self::Service, Some(integration)) => Ok(integration),
            (Self::Service, None) => Err(Denial::NotFound),
            (Self::Team(team), Some(integration)) if &integration.team_id == team => {
                Ok(integration)
            }
            (Self::Team(_), _) => Err(Denial::PermissionDenied),
        }
    }
}
