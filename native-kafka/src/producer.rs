//! Idempotent producer: `sendBatch` enqueues a whole batch in one call and its promise settles
//! when librdkafka has a delivery report for every message (first error wins). Delivery reports
//! are served by a native poll thread; the promise is settled through a threadsafe deferred.
use std::collections::HashMap;
use std::ffi::CString;
use std::os::raw::c_void;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use napi::bindgen_prelude::*;
use napi::JsDeferred;
use napi_derive::napi;

use crate::ffi::*;
use crate::util::*;

type Deferred = JsDeferred<(), fn(Env) -> Result<()>>;

#[napi(object)]
pub struct ProducerOptions {
  /// "host:port,host:port"
  pub brokers: String,
  pub client_id: String,
  /// linger.ms (default 1).
  pub linger_ms: Option<u32>,
  /// batch.size in bytes (default 1 MiB).
  pub batch_bytes: Option<u32>,
  /// message.max.bytes (default 1 MiB + 64 KiB, as the broker's default record batch limit).
  pub max_message_bytes: Option<u32>,
  /// delivery.timeout.ms (default 30 s): a message not acknowledged by then fails.
  pub delivery_timeout_ms: Option<u32>,
  /// max.in.flight.requests.per.connection, 1..5 (default 5; idempotence keeps order).
  pub max_in_flight: Option<u32>,
  /// Other librdkafka properties (applied first: the settings above win).
  pub config: Option<HashMap<String, String>>,
}

/// One batch, flat: message i goes to `partitions[i]` with value `values[i]`; keys are joined in
/// `keys` with `keyLens[i]` bytes each (-1: null key); headers: names fixed per batch, the values
/// joined in `headerValues` message by message, name by name, `headerLens[i * names + j]` bytes
/// each (-1: header absent).
#[napi(object, object_to_js = false)]
pub struct ProduceBatch {
  pub partitions: Int32Array,
  pub values: Vec<Uint8Array>,
  pub keys: Option<Uint8Array>,
  pub key_lens: Option<Int32Array>,
  pub header_names: Option<Vec<String>>,
  pub header_values: Option<Uint8Array>,
  pub header_lens: Option<Int32Array>,
}

/// Outstanding messages of one `sendBatch` call.
struct Batch {
  remaining: AtomicUsize,
  error: Mutex<Option<String>>,
  deferred: Mutex<Option<Deferred>>,
}

impl Batch {
  fn fail(&self, message: String) {
    let mut e = self.error.lock().unwrap();
    if e.is_none() {
      *e = Some(message);
    }
  }

  fn done(&self, n: usize) {
    if n > 0 && self.remaining.fetch_sub(n, Ordering::AcqRel) == n {
      if let Some(d) = self.deferred.lock().unwrap().take() {
        match self.error.lock().unwrap().take() {
          Some(m) => d.reject(Error::new(Status::GenericFailure, m)),
          None => d.resolve(|_| Ok(())),
        }
      }
    }
  }
}

struct Inner {
  rk: Handle,
  stop: AtomicBool,
  closed: AtomicBool,
  topics: Mutex<HashMap<String, usize>>, // name -> rd_kafka_topic_t*
}

impl Drop for Inner {
  fn drop(&mut self) {
    unsafe {
      for (_, rkt) in self.topics.lock().unwrap().drain() {
        rd_kafka_topic_destroy(rkt as *mut rd_kafka_topic_t);
      }
      rd_kafka_destroy(self.rk.0);
    }
  }
}

unsafe extern "C" fn on_delivery(rk: *mut rd_kafka_t, msg: *const rd_kafka_message_t, _opaque: *mut c_void) {
  let m = &*msg;
  if m._private.is_null() {
    return;
  }
  let batch = Arc::from_raw(m._private as *const Batch);
  let code = code_of(&m.err);
  if code != ERR_NONE {
    let topic = text(rd_kafka_topic_name(m.rkt));
    let mut message = format!("kafka delivery to {topic}[{}] failed: {}", m.partition, err_text(code));
    if code == ERR_FATAL {
      if let Some(f) = fatal_error(rk) {
        message = format!("{message}: {f}");
      }
    }
    batch.fail(message);
  }
  batch.done(1);
}

#[napi]
pub struct NativeProducer {
  inner: Arc<Inner>,
  poller: Option<JoinHandle<()>>,
}

#[napi]
impl NativeProducer {
  #[napi(constructor)]
  pub fn new(options: ProducerOptions) -> Result<Self> {
    let in_flight = options.max_in_flight.unwrap_or(5);
    if !(1..=5).contains(&in_flight) {
      return Err(Error::new(Status::InvalidArg, format!("maxInFlight must be 1..5 with idempotence, got {in_flight}")));
    }
    let fixed = [
      ("bootstrap.servers", options.brokers.clone()),
      ("client.id", options.client_id.clone()),
      ("enable.idempotence", "true".into()),
      ("acks", "all".into()),
      ("max.in.flight.requests.per.connection", in_flight.to_string()),
      ("compression.type", "none".into()),
      ("linger.ms", options.linger_ms.unwrap_or(1).to_string()),
      ("batch.size", options.batch_bytes.unwrap_or(1 << 20).to_string()),
      ("message.max.bytes", options.max_message_bytes.unwrap_or((1 << 20) + (64 << 10)).to_string()),
      ("delivery.timeout.ms", options.delivery_timeout_ms.unwrap_or(30_000).to_string()),
    ];
    let conf = make_conf(options.config.as_ref(), &fixed)?;
    unsafe { rd_kafka_conf_set_dr_msg_cb(conf, Some(on_delivery)) };
    let rk = create(PRODUCER, conf)?;
    let inner = Arc::new(Inner { rk: Handle(rk), stop: AtomicBool::new(false), closed: AtomicBool::new(false), topics: Mutex::new(HashMap::new()) });
    let polled = inner.clone();
    let poller = std::thread::Builder::new()
      .name("rdkafka-dr".into())
      .spawn(move || {
        while !polled.stop.load(Ordering::Acquire) {
          unsafe { rd_kafka_poll(polled.rk.0, 100) };
        }
      })
      .map_err(|e| Error::new(Status::GenericFailure, format!("cannot start the delivery thread: {e}")))?;
    Ok(NativeProducer { inner, poller: Some(poller) })
  }

  /// Enqueues every message of `batch` to `topic`; resolves when all are acknowledged
  /// (acks=all), rejects with the first delivery error.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn send_batch<'env>(&self, env: &'env Env, topic: String, batch: ProduceBatch) -> Result<Object<'env>> {
    let (deferred, promise) = env.create_deferred::<(), fn(Env) -> Result<()>>()?;
    match self.check(&topic, &batch) {
      Err(e) => deferred.reject(e),
      Ok(hnames) => self.enqueue(&topic, &batch, &hnames, deferred),
    }
    Ok(promise)
  }

  /// Waits (on the libuv pool) until nothing is queued or in flight; rejects after `timeoutMs`.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn flush(&self, timeout_ms: u32) -> AsyncTask<FlushTask> {
    AsyncTask::new(FlushTask { inner: self.inner.clone(), timeout_ms, close: None })
  }

  /// Flushes (bounded), fails what is left (purge), stops the poll thread, destroys the client.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn close(&mut self, timeout_ms: u32) -> AsyncTask<FlushTask> {
    self.inner.closed.store(true, Ordering::Release);
    AsyncTask::new(FlushTask { inner: self.inner.clone(), timeout_ms, close: self.poller.take() })
  }

  /// Messages queued or in flight.
  #[napi(getter)]
  pub fn queued(&self) -> u32 {
    if self.poller.is_none() {
      return 0;
    }
    unsafe { rd_kafka_outq_len(self.inner.rk.0) as u32 }
  }
}

impl NativeProducer {
  /// Validates the batch layout; returns the header names as C strings.
  fn check(&self, topic: &str, b: &ProduceBatch) -> Result<Vec<CString>> {
    if self.inner.closed.load(Ordering::Acquire) {
      return Err(Error::new(Status::GenericFailure, "NativeProducer is closed"));
    }
    let n = b.values.len();
    let invalid = |m: String| Err(Error::new(Status::InvalidArg, format!("sendBatch({topic}): {m}")));
    if b.partitions.len() != n {
      return invalid(format!("{} partitions for {n} values", b.partitions.len()));
    }
    if let Some(kl) = &b.key_lens {
      let total: i64 = kl.iter().map(|&l| l.max(0) as i64).sum();
      if kl.len() != n || total > b.keys.as_ref().map_or(0, |k| k.len()) as i64 {
        return invalid(format!("keyLens has {} entries summing to {total} bytes for {n} messages and {} key bytes", kl.len(), b.keys.as_ref().map_or(0, |k| k.len())));
      }
    }
    let names: Vec<CString> = b.header_names.iter().flatten().map(|s| cstr(s)).collect::<Result<_>>()?;
    if !names.is_empty() {
      let lens = b.header_lens.as_ref().map_or(&[][..], |l| &l[..]);
      let total: i64 = lens.iter().map(|&l| l.max(0) as i64).sum();
      let have = b.header_values.as_ref().map_or(0, |v| v.len()) as i64;
      if lens.len() != n * names.len() || total > have {
        return invalid(format!("headerLens has {} entries summing to {total} bytes; expected {} entries and at most {have} bytes", lens.len(), n * names.len()));
      }
    }
    Ok(names)
  }

  fn topic(&self, topic: &str) -> Result<*mut rd_kafka_topic_t> {
    let mut topics = self.inner.topics.lock().unwrap();
    if let Some(&t) = topics.get(topic) {
      return Ok(t as *mut rd_kafka_topic_t);
    }
    let name = cstr(topic)?;
    let rkt = unsafe { rd_kafka_topic_new(self.inner.rk.0, name.as_ptr(), std::ptr::null_mut()) };
    if rkt.is_null() {
      return Err(Error::new(Status::GenericFailure, format!("rd_kafka_topic_new({topic}) failed")));
    }
    topics.insert(topic.to_string(), rkt as usize);
    Ok(rkt)
  }

  fn enqueue(&self, topic: &str, b: &ProduceBatch, names: &[CString], deferred: Deferred) {
    let n = b.values.len();
    let batch = Arc::new(Batch { remaining: AtomicUsize::new(n + 1), error: Mutex::new(None), deferred: Mutex::new(Some(deferred)) });
    let rkt = match self.topic(topic) {
      Ok(t) => t,
      Err(e) => {
        batch.fail(e.reason.clone());
        batch.done(n + 1);
        return;
      }
    };
    let empty: &[u8] = &[];
    let keys = b.keys.as_ref().map_or(empty, |k| &k[..]);
    let hvalues = b.header_values.as_ref().map_or(empty, |v| &v[..]);
    let hlens = b.header_lens.as_ref().map_or(&[][..], |l| &l[..]);
    let (mut koff, mut hoff) = (0usize, 0usize);
    let mut vus: Vec<rd_kafka_vu_t> = Vec::with_capacity(6 + names.len());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut sent = 0usize;
    for i in 0..n {
      vus.clear();
      vus.push(vu(rd_kafka_vtype_t::RD_KAFKA_VTYPE_RKT, vu_union { rkt }));
      vus.push(vu(rd_kafka_vtype_t::RD_KAFKA_VTYPE_PARTITION, vu_union { i32_: b.partitions[i] }));
      let v = &b.values[i];
      vus.push(vu(rd_kafka_vtype_t::RD_KAFKA_VTYPE_VALUE, vu_union { mem: vu_mem { ptr: v.as_ptr() as *mut c_void, size: v.len() } }));
      if let Some(kl) = &b.key_lens {
        if kl[i] >= 0 {
          let k = &keys[koff..koff + kl[i] as usize];
          koff += k.len();
          vus.push(vu(rd_kafka_vtype_t::RD_KAFKA_VTYPE_KEY, vu_union { mem: vu_mem { ptr: k.as_ptr() as *mut c_void, size: k.len() } }));
        }
      }
      for (j, name) in names.iter().enumerate() {
        let len = hlens[i * names.len() + j];
        if len < 0 {
          continue;
        }
        let h = &hvalues[hoff..hoff + len as usize];
        hoff += h.len();
        let header = vu_header { name: name.as_ptr(), val: h.as_ptr() as *const c_void, size: h.len() as isize };
        vus.push(vu(rd_kafka_vtype_t::RD_KAFKA_VTYPE_HEADER, vu_union { header }));
      }
      vus.push(vu(rd_kafka_vtype_t::RD_KAFKA_VTYPE_MSGFLAGS, vu_union { i: RD_KAFKA_MSG_F_COPY }));
      let opaque = Arc::into_raw(batch.clone()) as *mut c_void;
      vus.push(vu(rd_kafka_vtype_t::RD_KAFKA_VTYPE_OPAQUE, vu_union { ptr: opaque }));
      loop {
        let error = unsafe { rd_kafka_produceva(self.inner.rk.0, vus.as_ptr(), vus.len()) };
        if error.is_null() {
          sent += 1;
          break;
        }
        let (code, message) = take_error(error);
        if code == ERR_QUEUE_FULL && Instant::now() < deadline {
          std::thread::sleep(Duration::from_millis(1)); // the poll thread drains the queue
          continue;
        }
        drop(unsafe { Arc::from_raw(opaque as *const Batch) });
        batch.fail(format!("kafka produce to {topic}[{}] failed: {message}", b.partitions[i]));
        break;
      }
      if sent <= i {
        break;
      }
    }
    // the messages never enqueued and the +1 guard (no settle while enqueueing)
    batch.done(n - sent + 1);
  }
}

fn vu(vtype: rd_kafka_vtype_t, u: vu_union) -> rd_kafka_vu_t {
  rd_kafka_vu_t { vtype, u }
}

impl Drop for NativeProducer {
  fn drop(&mut self) {
    if let Some(p) = self.poller.take() {
      self.inner.stop.store(true, Ordering::Release);
      let _ = p.join();
    }
  }
}

pub struct FlushTask {
  inner: Arc<Inner>,
  timeout_ms: u32,
  /// Set for close(): the poll thread to stop.
  close: Option<JoinHandle<()>>,
}

impl FlushTask {
  fn wait_empty(&self, until: Instant) -> i32 {
    loop {
      let left = unsafe { rd_kafka_outq_len(self.inner.rk.0) };
      if left == 0 || Instant::now() >= until {
        return left;
      }
      std::thread::sleep(Duration::from_millis(1));
    }
  }
}

impl Task for FlushTask {
  type Output = ();
  type JsValue = ();

  fn compute(&mut self) -> Result<()> {
    let deadline = Instant::now() + Duration::from_millis(self.timeout_ms as u64);
    let Some(poller) = self.close.take() else {
      if self.inner.stop.load(Ordering::Acquire) {
        return Err(Error::new(Status::GenericFailure, "NativeProducer is closed"));
      }
      let left = self.wait_empty(deadline);
      return if left == 0 { Ok(()) } else { Err(Error::new(Status::GenericFailure, format!("flush: {left} messages not delivered within {} ms", self.timeout_ms))) };
    };
    let left = self.wait_empty(deadline);
    if left > 0 {
      // what is left fails its batches (ERR__PURGE_*) instead of hanging them
      unsafe { rd_kafka_purge(self.inner.rk.0, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT) };
      self.wait_empty(Instant::now() + Duration::from_millis(1000));
    }
    self.inner.stop.store(true, Ordering::Release);
    let _ = poller.join();
    unsafe { rd_kafka_poll(self.inner.rk.0, 0) };
    if left > 0 {
      return Err(Error::new(Status::GenericFailure, format!("close: {left} messages not delivered within {} ms (purged)", self.timeout_ms)));
    }
    Ok(())
  }

  fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
    Ok(())
  }
}
