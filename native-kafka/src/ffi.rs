//! The librdkafka functions this module calls. Struct layouts and opaque types come from
//! rdkafka-sys; functions returning or taking an error code are declared here with a plain i32,
//! since the system library (2.0.x) may report codes newer than rdkafka-sys's enum (1.9.2).
#![allow(clashing_extern_declarations, non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_void};

pub use rdkafka_sys::bindings::{
  rd_kafka_conf_t, rd_kafka_error_t, rd_kafka_message_t, rd_kafka_t, rd_kafka_topic_partition_list_t, rd_kafka_topic_t,
  rd_kafka_vtype_t, rd_kafka_vu_s__bindgen_ty_1 as vu_union, rd_kafka_vu_s__bindgen_ty_1__bindgen_ty_1 as vu_mem,
  rd_kafka_vu_s__bindgen_ty_1__bindgen_ty_2 as vu_header, rd_kafka_vu_t, RD_KAFKA_MSG_F_COPY, RD_KAFKA_OFFSET_BEGINNING,
  RD_KAFKA_PURGE_F_INFLIGHT, RD_KAFKA_PURGE_F_QUEUE,
};

pub const PRODUCER: c_int = 0;
pub const CONSUMER: c_int = 1;
pub const ERR_NONE: i32 = 0;
pub const ERR_QUEUE_FULL: i32 = -184;
pub const ERR_FATAL: i32 = -150;
pub const ERR_PARTITION_EOF: i32 = -191;
pub const ERR_ASSIGN: i32 = -175;
pub const ERR_REVOKE: i32 = -174;

pub type DeliveryCb = unsafe extern "C" fn(*mut rd_kafka_t, *const rd_kafka_message_t, *mut c_void);
pub type RebalanceCb = unsafe extern "C" fn(*mut rd_kafka_t, i32, *mut rd_kafka_topic_partition_list_t, *mut c_void);

extern "C" {
  pub fn rd_kafka_version_str() -> *const c_char;
  pub fn rd_kafka_err2str(err: i32) -> *const c_char;
  pub fn rd_kafka_err2name(err: i32) -> *const c_char;
  pub fn rd_kafka_conf_new() -> *mut rd_kafka_conf_t;
  pub fn rd_kafka_conf_destroy(conf: *mut rd_kafka_conf_t);
  pub fn rd_kafka_conf_set(conf: *mut rd_kafka_conf_t, name: *const c_char, value: *const c_char, errstr: *mut c_char, size: usize) -> c_int;
  pub fn rd_kafka_conf_set_opaque(conf: *mut rd_kafka_conf_t, opaque: *mut c_void);
  pub fn rd_kafka_conf_set_dr_msg_cb(conf: *mut rd_kafka_conf_t, cb: Option<DeliveryCb>);
  pub fn rd_kafka_conf_set_rebalance_cb(conf: *mut rd_kafka_conf_t, cb: Option<RebalanceCb>);
  pub fn rd_kafka_new(kind: c_int, conf: *mut rd_kafka_conf_t, errstr: *mut c_char, size: usize) -> *mut rd_kafka_t;
  pub fn rd_kafka_destroy(rk: *mut rd_kafka_t);
  pub fn rd_kafka_poll(rk: *mut rd_kafka_t, timeout_ms: c_int) -> c_int;
  pub fn rd_kafka_yield(rk: *mut rd_kafka_t);
  pub fn rd_kafka_outq_len(rk: *mut rd_kafka_t) -> c_int;
  pub fn rd_kafka_purge(rk: *mut rd_kafka_t, flags: c_int) -> i32;
  pub fn rd_kafka_fatal_error(rk: *mut rd_kafka_t, errstr: *mut c_char, size: usize) -> i32;
  pub fn rd_kafka_topic_new(rk: *mut rd_kafka_t, topic: *const c_char, conf: *mut c_void) -> *mut rd_kafka_topic_t;
  pub fn rd_kafka_topic_destroy(rkt: *mut rd_kafka_topic_t);
  pub fn rd_kafka_topic_name(rkt: *const rd_kafka_topic_t) -> *const c_char;
  pub fn rd_kafka_produceva(rk: *mut rd_kafka_t, vus: *const rd_kafka_vu_t, cnt: usize) -> *mut rd_kafka_error_t;
  pub fn rd_kafka_error_code(error: *const rd_kafka_error_t) -> i32;
  pub fn rd_kafka_error_string(error: *const rd_kafka_error_t) -> *const c_char;
  pub fn rd_kafka_error_destroy(error: *mut rd_kafka_error_t);
  pub fn rd_kafka_topic_partition_list_new(size: c_int) -> *mut rd_kafka_topic_partition_list_t;
  pub fn rd_kafka_topic_partition_list_destroy(list: *mut rd_kafka_topic_partition_list_t);
  pub fn rd_kafka_topic_partition_list_add(list: *mut rd_kafka_topic_partition_list_t, topic: *const c_char, partition: i32) -> *mut rdkafka_sys::bindings::rd_kafka_topic_partition_t;
  pub fn rd_kafka_poll_set_consumer(rk: *mut rd_kafka_t) -> i32;
  pub fn rd_kafka_subscribe(rk: *mut rd_kafka_t, topics: *const rd_kafka_topic_partition_list_t) -> i32;
  pub fn rd_kafka_assign(rk: *mut rd_kafka_t, partitions: *const rd_kafka_topic_partition_list_t) -> i32;
  pub fn rd_kafka_consumer_poll(rk: *mut rd_kafka_t, timeout_ms: c_int) -> *mut rd_kafka_message_t;
  pub fn rd_kafka_message_destroy(msg: *mut rd_kafka_message_t);
  pub fn rd_kafka_message_timestamp(msg: *const rd_kafka_message_t, tstype: *mut c_int) -> i64;
  pub fn rd_kafka_pause_partitions(rk: *mut rd_kafka_t, partitions: *mut rd_kafka_topic_partition_list_t) -> i32;
  pub fn rd_kafka_resume_partitions(rk: *mut rd_kafka_t, partitions: *mut rd_kafka_topic_partition_list_t) -> i32;
  pub fn rd_kafka_seek_partitions(rk: *mut rd_kafka_t, partitions: *mut rd_kafka_topic_partition_list_t, timeout_ms: c_int) -> *mut rd_kafka_error_t;
  pub fn rd_kafka_get_watermark_offsets(rk: *mut rd_kafka_t, topic: *const c_char, partition: i32, low: *mut i64, high: *mut i64) -> i32;
  pub fn rd_kafka_consumer_close(rk: *mut rd_kafka_t) -> i32;
}

/// An error code field of a librdkafka struct, read as a plain integer.
pub fn code_of<T>(field: &T) -> i32 {
  unsafe { std::ptr::read(field as *const T as *const i32) }
}
