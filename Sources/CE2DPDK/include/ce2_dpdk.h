// CE2DPDK: the thin C shim between E2Dataplane and DPDK 22.11 (plus libpcap for filters).
//
// Only what Swift cannot call directly lives here: function-like macros (rte_pktmbuf_mtod),
// thread-local macros (rte_errno) and burst calls kept static inline so they stay on the
// per-packet path without a call through a Swift thunk. Everything else is called from Swift.
#ifndef CE2_DPDK_H
#define CE2_DPDK_H

#include <stdint.h>
#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_version.h>
#include <rte_bpf.h>
#include <rte_bus_vdev.h>
#include <rte_malloc.h>
#include <rte_hash_crc.h>
#include <rte_mbuf_dyn.h>
#include <rte_eth_ring.h>
#include <rte_memzone.h>
#include <rte_cycles.h>
#include <pcap/pcap.h>
#include <sys/eventfd.h>
#include <unistd.h>

/// rte_errno is a per-lcore macro; Swift sees this function instead.
static inline int ce2_errno(void) { return rte_errno; }

/// The first byte of a packet's data (rte_pktmbuf_mtod).
static inline uint8_t *ce2_mbuf_data(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, uint8_t *); }

/// The bytes of a packet in its first segment (rte_pktmbuf_data_len).
static inline uint16_t ce2_mbuf_data_len(const struct rte_mbuf *m) { return m->data_len; }

/// The total length of a packet over all its segments (rte_pktmbuf_pkt_len).
static inline uint32_t ce2_mbuf_pkt_len(const struct rte_mbuf *m) { return m->pkt_len; }

/// The default size of a packet buffer: data room plus headroom (RTE_MBUF_DEFAULT_BUF_SIZE).
static inline uint16_t ce2_mbuf_default_buf_size(void) { return RTE_MBUF_DEFAULT_BUF_SIZE; }

/// Receives up to n packets from one queue of a port.
static inline uint16_t ce2_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n) {
    return rte_eth_rx_burst(port, queue, pkts, n);
}

/// Sends up to n packets on one queue of a port; the caller frees what was not taken.
static inline uint16_t ce2_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n) {
    return rte_eth_tx_burst(port, queue, pkts, n);
}

/// Frees n packets (the tail of a burst the port did not take).
static inline void ce2_free_burst(struct rte_mbuf **pkts, unsigned n) {
    rte_pktmbuf_free_bulk(pkts, n);
}

/// Takes n empty packets from a pool at once; 0 on success, as rte_pktmbuf_alloc_bulk.
static inline int ce2_alloc_burst(struct rte_mempool *pool, struct rte_mbuf **pkts, unsigned n) {
    return rte_pktmbuf_alloc_bulk(pool, pkts, n);
}

/// Grows a packet's data by len bytes at its tail; NULL when the buffer has no room.
static inline uint8_t *ce2_mbuf_append(struct rte_mbuf *m, uint16_t len) {
    return (uint8_t *)rte_pktmbuf_append(m, len);
}

/// Makes room for `len` bytes before the packet's data; NULL when the headroom is too small.
static inline uint8_t *ce2_mbuf_prepend(struct rte_mbuf *m, uint16_t len) {
    return (uint8_t *)rte_pktmbuf_prepend(m, len);
}

/// Removes `len` bytes from the end of the packet; -1 when it is shorter.
static inline int ce2_mbuf_trim(struct rte_mbuf *m, uint16_t len) {
    return rte_pktmbuf_trim(m, len);
}

/// Removes `len` bytes from the front of the packet; NULL when it is shorter.
static inline uint8_t *ce2_mbuf_adj(struct rte_mbuf *m, uint16_t len) {
    return (uint8_t *)rte_pktmbuf_adj(m, len);
}

/// Registers E2's 8-byte metadata tag field in every mbuf; its offset, or -1 with rte_errno.
static inline int ce2_register_tag_field(void) {
    static const struct rte_mbuf_dynfield field = { .name = "e2_metadata_tags", .size = sizeof(uint64_t), .align = __alignof__(uint64_t) };
    return rte_mbuf_dynfield_register(&field);
}

/// The metadata tag word of a packet, at the registered offset.
static inline uint64_t *ce2_mbuf_tags(struct rte_mbuf *m, int offset) {
    return RTE_MBUF_DYNFIELD(m, offset, uint64_t *);
}

/// Compiles a libpcap filter for Ethernet and loads it as DPDK BPF (rte_bpf_convert is an
/// experimental API, so the call lives in ce2_dpdk.c, built with ALLOW_EXPERIMENTAL_API).
/// NULL on failure, with the reason in `error` (at least PCAP_ERRBUF_SIZE bytes).
struct rte_bpf *ce2_bpf_load_pcap_filter(const char *filter, char *error, size_t error_size);

/// Runs a loaded DPDK BPF filter over one packet in DPDK's interpreter.
static inline uint64_t ce2_bpf_run(const struct rte_bpf *bpf, struct rte_mbuf *m) {
    void *context = m;
    uint64_t rc = 0;
    rte_bpf_exec_burst(bpf, &context, &rc, 1);
    return rc;
}

/// Compiles a libpcap filter for Ethernet into `program` (free it with pcap_freecode).
/// 0 on success; else -1 with the reason in `error` (at least PCAP_ERRBUF_SIZE bytes).
int ce2_pcap_compile(const char *filter, struct bpf_program *program, char *error, size_t error_size);

/// Runs a classic BPF program (libpcap's own evaluator) over a single-segment packet.
static inline unsigned ce2_pcap_run(const struct bpf_program *program, struct rte_mbuf *m) {
    return bpf_filter(program->bf_insns, rte_pktmbuf_mtod(m, const u_char *), m->pkt_len, m->data_len);
}

// MARK: vports and load monitoring

/// Packets waiting in a ring (rte_ring_count).
static inline unsigned ce2_ring_count(const struct rte_ring *r) { return rte_ring_count(r); }

/// How many packets a ring can hold (rte_ring_get_capacity).
static inline unsigned ce2_ring_capacity(const struct rte_ring *r) { return rte_ring_get_capacity(r); }

/// How far the consumer has come: unchanged while packets wait means the reader stalled.
static inline uint32_t ce2_ring_consumer_tail(const struct rte_ring *r) {
    return __atomic_load_n(&r->cons.tail, __ATOMIC_RELAXED);
}

/// Takes up to n packets from a ring (an NF receiving from its vport).
static inline unsigned ce2_ring_dequeue_burst(struct rte_ring *r, struct rte_mbuf **pkts, unsigned n) {
    return rte_ring_dequeue_burst(r, (void **)pkts, n, NULL);
}

/// Puts up to n packets into a ring; the caller still owns what was not taken.
static inline unsigned ce2_ring_enqueue_burst(struct rte_ring *r, struct rte_mbuf **pkts, unsigned n) {
    return rte_ring_enqueue_burst(r, (void **)pkts, n, NULL);
}

/// The time stamp counter and its frequency, for delays measured on the packet path.
static inline uint64_t ce2_tsc(void) { return rte_rdtsc(); }
static inline uint64_t ce2_tsc_hz(void) { return rte_get_tsc_hz(); }

/// Registers E2's 8-byte time stamp field (TSC when a packet left for a vport); its offset or -1.
static inline int ce2_register_stamp_field(void) {
    static const struct rte_mbuf_dynfield field = { .name = "e2_vport_stamp", .size = sizeof(uint64_t), .align = __alignof__(uint64_t) };
    return rte_mbuf_dynfield_register(&field);
}

/// Stamps every packet of a burst with `value` at the field's offset.
static inline void ce2_stamp_burst(struct rte_mbuf **pkts, unsigned n, int offset, uint64_t value) {
    for (unsigned i = 0; i < n; i++) *RTE_MBUF_DYNFIELD(pkts[i], offset, uint64_t *) = value;
}

/// Books the delay of every stamped packet of a burst: a stamp is the TSC with its low 8 bits
/// replaced by the index of the vport that stamped it; `delays[index]` keeps the largest delay
/// seen. Clears the stamps it read.
static inline void ce2_record_delays(struct rte_mbuf **pkts, unsigned n, int offset, uint64_t now, uint64_t *delays) {
    for (unsigned i = 0; i < n; i++) {
        uint64_t *stamp = RTE_MBUF_DYNFIELD(pkts[i], offset, uint64_t *);
        uint64_t value = *stamp;
        if (value == 0) continue;
        uint64_t sent = value & ~(uint64_t)0xff, index = value & 0xff;
        if (now > sent && now - sent > delays[index]) delays[index] = now - sent;
        *stamp = 0;
    }
}


/// A pid another process wrote into shared memory (an NF attached to its vport).
static inline int32_t ce2_load_pid(const void *address) { return __atomic_load_n((const int32_t *)address, __ATOMIC_ACQUIRE); }
static inline void ce2_store_pid(void *address, int32_t pid) { __atomic_store_n((int32_t *)address, pid, __ATOMIC_RELEASE); }

/// A full copy of a packet from `pool` (the Tee module's second and later outputs); NULL when the pool is empty.
static inline struct rte_mbuf *ce2_mbuf_copy(struct rte_mbuf *m, struct rte_mempool *pool) {
    return rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
}

/// A non-blocking eventfd (Glibc's Swift module does not export it): wakes an idle loop.
static inline int ce2_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

/// An AF_PACKET socket bound to `interface` that sees only what arrives on it (a legacy
/// vport's Linux side); -1 with errno on failure.
int ce2_packet_socket(const char *interface);

/// Sends up to 64 frames (frame i at frames + i * stride) in one sendmmsg; how many went, or -1.
int ce2_packet_send_batch(int fd, uint8_t *frames, unsigned stride, const uint32_t *lengths, unsigned n);

/// Receives up to 64 frames without waiting; how many came (lengths filled), or -1 (EAGAIN when none).
int ce2_packet_receive_batch(int fd, uint8_t *frames, unsigned stride, uint32_t *lengths, unsigned n);

/// Sleeps for the idle back-off of a poll loop.
static inline void ce2_idle_sleep(uint32_t microseconds) { usleep(microseconds); }

/// The address of a memzone's memory.
static inline void *ce2_memzone_address(const struct rte_memzone *zone) { return zone->addr; }

#endif
