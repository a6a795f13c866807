//! Property tests: encoded commands decode back to themselves whatever the split points,
//! and arbitrary bytes never panic the decoder.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rhea_resp::{Limits, Request, parse_request};

fn encode_command(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

proptest! {
    #[test]
    fn multibulk_round_trips_at_any_split(
        args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..6),
        split in 0usize..200,
    ) {
        let wire = encode_command(&args);
        let split = split.min(wire.len());
        let mut buf = BytesMut::from(&wire[..split]);
        let lim = Limits::default();
        let first = parse_request(&mut buf, &lim).unwrap();
        let got = match first {
            Some(r) => r,
            None => {
                prop_assert_eq!(buf.len(), split, "nothing consumed while incomplete");
                buf.extend_from_slice(&wire[split..]);
                parse_request(&mut buf, &lim).unwrap().unwrap()
            }
        };
        let want: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        prop_assert_eq!(got, Request::Command(want));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut buf = BytesMut::from(&data[..]);
        let lim = Limits { unauthenticated: true, ..Limits::default() };
        // Drain until an error or a need for more bytes; each step must consume bytes.
        for _ in 0..400 {
            let before = buf.len();
            match parse_request(&mut buf, &lim) {
                Ok(Some(_)) => prop_assert!(buf.len() < before),
                Ok(None) | Err(_) => break,
            }
        }
    }
}
