//! The built binary driven by the `redis` crate (a real, independent RESP client).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redis::{Commands, RedisResult};

/// A `rhea server` child process, killed (by pid) when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_rhea"))
            .args(["server", "--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .expect("start rhea");
        let s = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        s
    }

    fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .unwrap()
            .get_connection()
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn strings_pipelines_and_transactions() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let _: () = c.set("greeting", "hello").unwrap();
    let v: String = c.get("greeting").unwrap();
    assert_eq!(v, "hello");
    let n: i64 = c.incr("counter", 5).unwrap();
    assert_eq!(n, 5);
    let (a, b): (i64, String) =
        redis::pipe().incr("counter", 1).get("greeting").query(&mut c).unwrap();
    assert_eq!((a, b.as_str()), (6, "hello"));
    let (x,): (i64,) =
        redis::pipe().atomic().incr("counter", 10).ignore().get("counter").query(&mut c).unwrap();
    assert_eq!(x, 16);
    let missing: Option<String> = c.get("nope").unwrap();
    assert_eq!(missing, None);
}

#[test]
fn wrong_type_is_an_error_value() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let _: () = c.rpush("list", "a").unwrap();
    let r: RedisResult<String> = c.get("list");
    let err = r.unwrap_err();
    assert_eq!(err.code(), Some("WRONGTYPE"));
}

#[test]
fn password_protected_server() {
    let srv = Server::start(&["--requirepass", "s3cret"]);
    let mut anon = srv.client();
    let r: RedisResult<String> = redis::cmd("PING").query(&mut anon);
    assert_eq!(r.unwrap_err().code(), Some("NOAUTH"));
    let mut c = redis::Client::open(format!("redis://:s3cret@127.0.0.1:{}/", srv.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn pubsub_delivers_messages() {
    let srv = Server::start(&[]);
    let mut sub_conn = srv.client();
    let mut pub_conn = srv.client();
    let mut sub = sub_conn.as_pubsub();
    sub.subscribe("news").unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let receivers: i64 = pub_conn.publish("news", "flash").unwrap();
    assert_eq!(receivers, 1);
    let msg = sub.get_message().unwrap();
    assert_eq!(msg.get_channel_name(), "news");
    let payload: String = msg.get_payload().unwrap();
    assert_eq!(payload, "flash");
}
