// How the webhook process sets glibc's allocator for reviews (called first in
// main). bench/review_latency sets it too, so the time it reports per review is
// the time in the webhook process.
#pragma once

namespace autocanary::server {

// The memory budget bounds what reviews hold at once; glibc would still keep
// each worker arena's own peak resident (up to 16 arenas for 32 workers; two
// arenas still peaked at 108 MiB under 32 maximal reviews, one at 68 MiB) and
// keep freed 4 MiB bodies in the heap. One arena reuses what any review freed
// (reviews take microseconds of allocator time on two cores), and buffers from
// 256 KiB up are mapped and go back to the kernel when freed.
void keep_freed_review_memory_shared() noexcept;

}  // namespace autocanary::server
