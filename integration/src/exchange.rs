//! One request the client must send and the answer it gets, on a real HTTP server on
//! 127.0.0.1, and a check of exactly what the client sent.

use hubspot_associations::Transport;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The token every test client sends.
pub const TOKEN: &str = "pat-na1-11111111-2222-3333-4444-555555555555";

/// One request the client must send, and the answer it gets.
pub struct Exchange {
    /// `GET`, `PUT`, `POST` or `DELETE`.
    pub method: &'static str,
    /// The exact path, percent-encoded as it must appear on the wire.
    pub path: String,
    /// The exact query string (empty for none).
    pub query: String,
    /// The JSON body the client must send, if any.
    pub body: Option<Value>,
    /// The status of the answer.
    pub status: u16,
    /// The JSON body of the answer, if any.
    pub reply: Option<Value>,
}

impl Exchange {
    /// An exchange with no request body and an empty answer of `status`.
    pub fn new(method: &'static str, path: impl Into<String>, status: u16) -> Self {
        Self {
            method,
            path: path.into(),
            query: String::new(),
            body: None,
            status,
            reply: None,
        }
    }

    /// With this query string.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = query.into();
        self
    }

    /// With this request body.
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// With this answer body.
    pub fn reply(mut self, reply: Value) -> Self {
        self.reply = Some(reply);
        self
    }

    /// Starts a server on 127.0.0.1 that gives the answer to this request, and a transport to it.
    pub async fn serve(&self) -> (MockServer, Transport) {
        let server = MockServer::start().await;
        let mut answer = ResponseTemplate::new(self.status);
        if let Some(reply) = &self.reply {
            answer = answer.set_body_json(reply);
        }
        Mock::given(method(self.method))
            .and(path(self.path.as_str()))
            .respond_with(answer)
            .mount(&server)
            .await;
        let transport = transport(&server);
        (server, transport)
    }

    /// Asserts that the server received exactly this request, once.
    pub async fn verify(&self, server: &MockServer) {
        let received = server.received_requests().await.expect("recording is on");
        assert_eq!(
            received.len(),
            1,
            "{} {}: requests {received:?}",
            self.method,
            self.path
        );
        let request = &received[0];
        assert_eq!(request.method.as_str(), self.method);
        assert_eq!(request.url.path(), self.path);
        assert_eq!(
            request.url.query().unwrap_or(""),
            self.query.as_str(),
            "{}",
            self.path
        );
        assert_eq!(
            request
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{}",
            self.path
        );
        match &self.body {
            Some(expected) => {
                assert_eq!(
                    request
                        .headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok()),
                    Some("application/json")
                );
                let sent: Value = serde_json::from_slice(&request.body).expect("the body is JSON");
                assert_eq!(&sent, expected, "{}", self.path);
            }
            None => assert!(request.body.is_empty(), "{}: unexpected body", self.path),
        }
    }
}

/// A transport to the server, with the test token.
pub fn transport(server: &MockServer) -> Transport {
    Transport::builder(TOKEN)
        .base_url(server.uri())
        .build()
        .expect("a loopback base URL is allowed")
}
