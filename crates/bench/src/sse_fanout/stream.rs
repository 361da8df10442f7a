//! One SSE stream over a bare hyper connection, and an incremental `text/event-stream` parser.

use std::{future::Future, net::SocketAddr, pin::Pin};

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{
    Request, StatusCode,
    body::Incoming,
    client::conn::http1::{Connection, SendRequest},
    header::{ACCEPT, AUTHORIZATION, HOST},
};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpStream;

use super::EVENT_TYPE;

type Conn = Connection<TokioIo<TcpStream>, Empty<Bytes>>;

/// An open event stream: the connection is polled by whoever awaits the body, in the client's
/// own task.
pub(crate) struct SseStream {
    _sender: SendRequest<Empty<Bytes>>,
    conn: Pin<Box<Conn>>,
    body: Incoming,
    pub(crate) parser: SseParser,
}

impl SseStream {
    /// Connects, sends the request (`authorization` is the header's value) and reads until the
    /// greeting has arrived.
    pub(crate) async fn open(
        addr: SocketAddr,
        path: &str,
        authorization: &str,
    ) -> anyhow::Result<Self> {
        let tcp = TcpStream::connect(addr).await.context("connecting")?;
        tcp.set_nodelay(true)?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        let mut conn = Box::pin(conn);
        let request = Request::get(path)
            .header(HOST, addr.to_string())
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "text/event-stream")
            .body(Empty::<Bytes>::new())?;
        let response = drive(conn.as_mut(), sender.send_request(request)).await??;
        let status = response.status();
        if status != StatusCode::OK {
            let body = drive(conn.as_mut(), response.into_body().collect())
                .await
                .ok()
                .and_then(Result::ok)
                .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                .unwrap_or_default();
            bail!("HTTP {status}: {body}");
        }
        let mut stream = Self {
            _sender: sender,
            conn,
            body: response.into_body(),
            parser: SseParser::default(),
        };
        let mut messages = Vec::new();
        loop {
            let chunk = stream
                .next_chunk()
                .await?
                .context("the stream ended before its greeting")?;
            stream.parser.push(&chunk, &mut messages);
            if messages.drain(..).any(|m| m.is_greeting()) {
                return Ok(stream);
            }
        }
    }

    /// The next data chunk of the body; `None` when it ends.
    pub(crate) async fn next_chunk(&mut self) -> anyhow::Result<Option<Bytes>> {
        loop {
            match drive(self.conn.as_mut(), self.body.frame()).await? {
                None => return Ok(None),
                Some(frame) => {
                    if let Ok(data) = frame?.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }
}

/// Runs `work` while polling the connection that carries it; an error if the connection ends
/// first.
pub(super) async fn drive<C, T>(
    conn: Pin<&mut C>,
    work: impl Future<Output = T>,
) -> anyhow::Result<T>
where
    C: Future<Output = hyper::Result<()>>,
{
    tokio::select! {
        out = work => Ok(out),
        done = conn => match done {
            Ok(()) => bail!("the connection closed"),
            Err(e) => Err(anyhow::Error::new(e).context("connection failed")),
        },
    }
}

/// The `seq` of one of this scenario's events, from an SSE `data:` field.
pub fn bench_seq(data: &str) -> Option<u64> {
    #[derive(Deserialize)]
    struct Data {
        #[serde(rename = "type")]
        kind: String,
        payload: Payload,
    }
    #[derive(Deserialize)]
    struct Payload {
        seq: u64,
    }
    serde_json::from_str::<Data>(data)
        .ok()
        .filter(|d| d.kind == EVENT_TYPE)
        .map(|d| d.payload.seq)
}

/// One SSE message: the fields of a block of lines ended by a blank line.
#[derive(Debug, Default, PartialEq)]
pub struct SseMessage {
    pub id: Option<String>,
    /// `data:` lines joined with `\n`.
    pub data: Option<String>,
    pub retry: Option<u64>,
    pub comments: Vec<String>,
}

impl SseMessage {
    /// The first message of a `sous` stream: `retry:` and the `: connected` comment.
    pub fn is_greeting(&self) -> bool {
        self.retry.is_some() || self.comments.iter().any(|c| c == "connected")
    }
}

/// An incremental parser of `text/event-stream`: chunks may split lines and messages anywhere.
/// Lines end with `\n` or `\r\n` (what axum and every server in practice send); a lone `\r`
/// is not treated as a line end. Unlike a browser, comment-only blocks are returned too (the
/// greeting and heartbeats are comments).
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    current: SseMessage,
}

impl SseParser {
    /// Feeds a chunk; the messages it completes are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseMessage>) {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let mut line = std::mem::take(&mut self.line);
            line.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            self.line_done(&line, out);
            line.clear();
            self.line = line;
        }
        self.line.extend_from_slice(rest);
    }

    fn line_done(&mut self, line: &[u8], out: &mut Vec<SseMessage>) {
        if line.is_empty() {
            let message = std::mem::take(&mut self.current);
            if message != SseMessage::default() {
                out.push(message);
            }
            return;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "" => self.current.comments.push(value.to_string()),
            "data" => match &mut self.current.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.current.data = Some(value.to_string()),
            },
            "id" => self.current.id = Some(value.to_string()),
            "retry" => self.current.retry = value.parse().ok(),
            // `event:` and unknown fields are not used here.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "retry: 3000\n: connected\n\n\
        id: 7\ndata: {\"id\":7,\"type\":\"bench.tick\",\"payload\":{\"seq\":3}}\n\n\
        :\n\n\
        data: a\r\ndata: b\r\n\r\n";

    fn parse_in_chunks(size: usize) -> Vec<SseMessage> {
        let mut parser = SseParser::default();
        let mut out = Vec::new();
        for chunk in STREAM.as_bytes().chunks(size) {
            parser.push(chunk, &mut out);
        }
        out
    }

    #[test]
    fn parses_messages_split_anywhere() {
        let whole = parse_in_chunks(STREAM.len());
        assert_eq!(
            whole,
            vec![
                SseMessage {
                    retry: Some(3000),
                    comments: vec!["connected".into()],
                    ..SseMessage::default()
                },
                SseMessage {
                    id: Some("7".into()),
                    data: Some(r#"{"id":7,"type":"bench.tick","payload":{"seq":3}}"#.into()),
                    ..SseMessage::default()
                },
                SseMessage {
                    comments: vec![String::new()],
                    ..SseMessage::default()
                },
                SseMessage {
                    data: Some("a\nb".into()),
                    ..SseMessage::default()
                },
            ]
        );
        for size in [1, 2, 3, 7, 16] {
            assert_eq!(parse_in_chunks(size), whole, "chunks of {size} bytes");
        }
        assert!(whole[0].is_greeting());
        assert!(!whole[1].is_greeting() && !whole[2].is_greeting());
    }

    #[test]
    fn an_unfinished_message_waits_for_its_blank_line() {
        let mut parser = SseParser::default();
        let mut out = Vec::new();
        parser.push(b"id: 1\ndata: x\n", &mut out);
        assert!(out.is_empty());
        parser.push(b"\n", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data.as_deref(), Some("x"));
    }

    #[test]
    fn reads_the_seq_of_bench_events_only() {
        let event = r#"{"id":9,"tenantId":"t","branchId":"b","channel":"orders","stream":"order:bench","type":"bench.tick","payload":{"seq":12},"createdAt":"2026-11-25T00:00:00Z"}"#;
        assert_eq!(bench_seq(event), Some(12));
        assert_eq!(
            bench_seq(r#"{"type":"order.placed","payload":{"seq":1}}"#),
            None
        );
        assert_eq!(bench_seq(r#"{"type":"bench.tick","payload":{}}"#), None);
        assert_eq!(bench_seq("not json"), None);
    }
}
