// An answer of Prometheus's query API: the first two bytes are the HTTP status
// (100–599), the rest the body.
#include <cmath>
#include <cstdint>

#include "coordinator/analysis/prometheus_response.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autocanary;
  if (size < 2) return 0;
  const int status = 100 + (data[0] << 8 | data[1]) % 500;
  const auto body = fuzz::as_text(data + 2, size - 2);
  const auto measurement = analysis::read_prometheus_answer(status, body, "sum(rate(x[1m]))");
  if (measurement.kind == analysis::Measurement::Kind::kValue && std::isnan(measurement.value))
    fuzz::fail("NaN measured as a value");
  if (measurement.message.empty() && measurement.kind == analysis::Measurement::Kind::kError)
    fuzz::fail("an error without a message");
  return 0;
}
