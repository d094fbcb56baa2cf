#include "webhook/server/review_allocator.h"

#include <malloc.h>

namespace autocanary::server {

void keep_freed_review_memory_shared() noexcept {
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

}  // namespace autocanary::server
