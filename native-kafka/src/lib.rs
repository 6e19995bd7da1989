//! ringmatch Kafka client over librdkafka: a producer that takes a whole batch per call and a
//! consumer that copies a batch of messages into one caller-provided buffer.
mod consumer;
mod ffi;
mod producer;
mod util;

use napi_derive::napi;

/// "ringmatch-native-kafka <version> (librdkafka <version>)".
#[napi]
pub fn native_kafka_info() -> String {
  let v = util::text(unsafe { ffi::rd_kafka_version_str() });
  format!("ringmatch-native-kafka {} (librdkafka {v})", env!("CARGO_PKG_VERSION"))
}
