#include "webhook/review/admission_review.h"

#include <openssl/evp.h>

#include <algorithm>
#include <optional>

#include "common/json_text.h"
#include "webhook/review/fast_json.h"

namespace autocanary::api {

namespace {

using nlohmann::json;

constexpr std::string_view kApiVersion = "admission.k8s.io/v1";

// Far deeper than any Deployment; bounds recursion when the objects are later
// compared, hashed or printed, so a hostile body cannot exhaust the stack.
constexpr int kMaxNestingDepth = 128;


std::optional<std::string> optional_string(const json& object, std::string_view key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::string();
  if (!found->is_string()) return std::nullopt;
  return found->get<std::string>();
}

ReviewError bad(std::string message) { return ReviewError{400, std::move(message)}; }

std::optional<decision::Operation> parse_operation(std::string_view text) {
  if (text == "CREATE") return decision::Operation::kCreate;
  if (text == "UPDATE") return decision::Operation::kUpdate;
  if (text == "DELETE") return decision::Operation::kDelete;
  if (text == "CONNECT") return decision::Operation::kConnect;
  return std::nullopt;
}

}  // namespace

std::size_t review_memory_bound(std::size_t body_bytes, std::size_t elements) noexcept {
  constexpr std::size_t kBytesPerElement = 384;
  constexpr std::size_t kFastReadBytesPerElement = 32;
  const std::size_t counted = std::min(elements, kMaxReviewElements);
  const std::size_t fast_read =
      body_bytes <= kMaxFastReadBytes ? 3 * body_bytes + counted * kFastReadBytesPerElement : 0;
  return 3 * body_bytes + counted * kBytesPerElement + fast_read;
}

std::size_t review_memory_bound(std::size_t body_bytes) noexcept {
  return review_memory_bound(body_bytes, body_bytes / 2 + 1);
}

std::variant<AdmissionRequest, ReviewError> parse_admission_review(std::string_view body) {
  const auto shape = common::json_shape(body);
  if (shape.depth > kMaxNestingDepth)
    return bad("request body nests deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  if (shape.elements > kMaxReviewElements)
    return bad("request body holds more than " + std::to_string(kMaxReviewElements) + " JSON values");
  json review;
  if (auto read = body.size() <= kMaxFastReadBytes ? parse_json_fast(body) : std::nullopt) {
    review = std::move(*read);
  } else {
    // Malformed, or one of the valid texts simdjson refuses: nlohmann decides.
    try {
      review = json::parse(body);
    } catch (const json::exception& error) {
      return bad(std::string("request body is not valid JSON: ") + error.what());
    }
  }
  if (!review.is_object()) return bad("request body must be a JSON object (an AdmissionReview)");
  if (review.value("apiVersion", json()) != kApiVersion)
    return bad("apiVersion must be admission.k8s.io/v1");
  if (review.value("kind", json()) != "AdmissionReview") return bad("kind must be AdmissionReview");
  const auto request_it = review.find("request");
  if (request_it == review.end() || !request_it->is_object())
    return bad("AdmissionReview has no request object");
  json& request = *request_it;

  AdmissionRequest parsed;
  const auto uid = optional_string(request, "uid");
  if (!uid || uid->empty()) return bad("request.uid is missing or not a string");
  parsed.uid = *uid;

  const auto operation_text = optional_string(request, "operation");
  const auto operation = operation_text ? parse_operation(*operation_text) : std::nullopt;
  if (!operation) return bad("request.operation must be CREATE, UPDATE, DELETE or CONNECT");
  parsed.operation = *operation;

  if (const auto kind_it = request.find("kind"); kind_it != request.end()) {
    if (!kind_it->is_object()) return bad("request.kind must be an object");
    const auto group = optional_string(*kind_it, "group");
    const auto version = optional_string(*kind_it, "version");
    const auto kind = optional_string(*kind_it, "kind");
    if (!group || !version || !kind) return bad("request.kind fields must be strings");
    parsed.kind = {*group, *version, *kind};
  }

  const auto sub_resource = optional_string(request, "subResource");
  const auto namespace_name = optional_string(request, "namespace");
  const auto name = optional_string(request, "name");
  if (!sub_resource || !namespace_name || !name)
    return bad("request.subResource, namespace and name must be strings");
  parsed.sub_resource = *sub_resource;
  parsed.namespace_name = *namespace_name;
  parsed.name = *name;

  if (const auto user_it = request.find("userInfo"); user_it != request.end() && user_it->is_object()) {
    const auto username = optional_string(*user_it, "username");
    if (!username) return bad("request.userInfo.username must be a string");
    parsed.username = *username;
  }
  if (const auto dry_run = request.find("dryRun"); dry_run != request.end() && !dry_run->is_null()) {
    if (!dry_run->is_boolean()) return bad("request.dryRun must be a boolean");
    parsed.dry_run = dry_run->get<bool>();
  }
  if (const auto options = request.find("options"); options != request.end() && options->is_object()) {
    const auto manager = optional_string(*options, "fieldManager");
    // A field manager is at most 128 characters (apiserver validation).
    if (manager && manager->size() <= 128) parsed.field_manager = *manager;
  }
  // Move, not copy: objects can be a megabyte.
  if (const auto object = request.find("object"); object != request.end())
    parsed.object = std::move(*object);
  if (const auto old_object = request.find("oldObject"); old_object != request.end())
    parsed.old_object = std::move(*old_object);
  return parsed;
}

decision::AdmissionInput to_decision_input(const AdmissionRequest& request) {
  decision::AdmissionInput input;
  input.operation = request.operation;
  input.namespace_name = request.namespace_name;
  input.is_deployment = request.kind.group == "apps" && request.kind.version == "v1" &&
                        request.kind.kind == "Deployment" && request.sub_resource.empty();
  input.old_object = request.old_object.is_null() ? nullptr : &request.old_object;
  input.new_object = request.object.is_null() ? nullptr : &request.object;
  input.username = request.username;
  input.dry_run = request.dry_run;
  input.field_manager = request.field_manager;
  return input;
}

std::string admission_response(const std::string& uid, const decision::Decision& decision) {
  // Written by hand rather than through a json document: the base64 patch can
  // be a hundred KiB and needs no escaping at all.
  const auto text = [](const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); };
  std::string out = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":)";
  out += text(uid);
  out += decision.allowed ? R"(,"allowed":true)" : R"(,"allowed":false)";
  if (decision.allowed && !decision.patch.empty()) {
    out += R"(,"patchType":"JSONPatch","patch":")";
    out += base64_encode(decision.patch.serialize());
    out += '"';
  }
  if (!decision.warnings.empty()) out += R"(,"warnings":)" + text(decision.warnings);
  if (!decision.allowed) {
    out += R"(,"status":)" +
           text({{"code", 403}, {"reason", "Forbidden"}, {"message", decision.message}});
  } else if (decision.outcome == decision::Outcome::kInvalidObject) {
    out += R"(,"status":)" + text({{"code", 200}, {"message", decision.message}});
  }
  out += "}}";
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string encoded(4 * ((bytes.size() + 2) / 3), '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(length));
  return encoded;
}

}  // namespace autocanary::api
