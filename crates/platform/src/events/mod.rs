//! Domain events: appended to the `events` outbox in the caller's transaction, announced by
//! NOTIFY, and fanned out to in-memory subscribers by one listener per process.

pub mod listener;
pub mod repo;

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;
use uuid::Uuid;

pub use repo::{NewEvent, append};

/// The channels clients follow over SSE (docs/api.md §7), plus `catalog` for menu changes, which
/// is written to the outbox but not streamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Orders,
    Kitchen,
    Queue,
    Notifications,
    Inventory,
    Catalog,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Orders => "orders",
            Channel::Kitchen => "kitchen",
            Channel::Queue => "queue",
            Channel::Notifications => "notifications",
            Channel::Inventory => "inventory",
            Channel::Catalog => "catalog",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "orders" => Channel::Orders,
            "kitchen" => Channel::Kitchen,
            "queue" => Channel::Queue,
            "notifications" => Channel::Notifications,
            "inventory" => Channel::Inventory,
            "catalog" => Channel::Catalog,
            _ => return None,
        })
    }
}

/// Where an event sits in delivery order: its transaction id, then its own id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub tx_id: u64,
    pub id: i64,
}

/// A committed event as subscribers see it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: i64,
    #[serde(skip)]
    pub tx_id: u64,
    pub tenant_id: Uuid,
    pub branch_id: Option<Uuid>,
    pub channel: Channel,
    pub stream: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip)]
    pub audience: Option<Uuid>,
    pub payload: Value,
    pub created_at: DateTime<Utc>,
    /// The JSON form, made once per event however many clients receive it.
    #[serde(skip)]
    pub encoded: OnceLock<String>,
}

impl Event {
    pub fn json(&self) -> &str {
        self.encoded
            .get_or_init(|| serde_json::to_string(self).expect("events serialise"))
    }

    pub fn position(&self) -> Position {
        Position {
            tx_id: self.tx_id,
            id: self.id,
        }
    }
}

/// The in-process fan-out. A subscriber that falls more than the capacity behind gets
/// `Lagged` and is expected to drop and resume from the table; senders never wait.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        Self {
            tx: broadcast::channel(capacity).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    pub fn publish(&self, event: Arc<Event>) {
        // No subscribers is fine.
        let _ = self.tx.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_clients_receive_is_camel_case() {
        let event = Event {
            id: 7,
            tx_id: 1,
            tenant_id: Uuid::nil(),
            branch_id: Some(Uuid::nil()),
            channel: Channel::Orders,
            stream: "order:x".into(),
            kind: "order.placed".into(),
            audience: None,
            payload: serde_json::json!({ "orderId": "x" }),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            encoded: OnceLock::new(),
        };
        let v: Value = serde_json::from_str(event.json()).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "branchId",
                "channel",
                "createdAt",
                "id",
                "payload",
                "stream",
                "tenantId",
                "type"
            ]
        );
    }
}
