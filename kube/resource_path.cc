#include "kube/resource_path.h"

#include <algorithm>

namespace autocanary::kube {

namespace {

// Names of objects and resources are DNS-like, so '/', '?' or '%' can only come
// from a bug or from untrusted input; refusing them keeps a path from changing meaning.
bool is_safe_segment(std::string_view segment) {
  return std::none_of(segment.begin(), segment.end(), [](char c) {
    return c == '/' || c == '?' || c == '#' || c == '%' || c == ' ' ||
           static_cast<unsigned char>(c) < 0x20;
  });
}

KubeError invalid(std::string message) {
  return KubeError{0, kReasonInvalidRequest, std::move(message), false};
}

Result<std::string> build_path(const ResourceRef& ref, bool with_object) {
  if (ref.version.empty() || ref.resource.empty())
    return invalid("resource reference needs a version and a resource");
  for (const std::string* segment : {&ref.group, &ref.version, &ref.resource, &ref.namespace_name,
                                     &ref.name, &ref.subresource}) {
    if (!is_safe_segment(*segment)) return invalid("invalid path segment '" + *segment + "'");
  }
  if (with_object && !ref.subresource.empty() && ref.name.empty())
    return invalid("subresource '" + ref.subresource + "' needs an object name");

  std::string path = ref.group.empty() ? "/api/" + ref.version
                                       : "/apis/" + ref.group + "/" + ref.version;
  if (!ref.namespace_name.empty()) path += "/namespaces/" + ref.namespace_name;
  path += "/" + ref.resource;
  if (with_object && !ref.name.empty()) {
    path += "/" + ref.name;
    if (!ref.subresource.empty()) path += "/" + ref.subresource;
  }
  return path;
}

}  // namespace

Result<std::string> resource_path(const ResourceRef& ref) { return build_path(ref, true); }

Result<std::string> collection_path(const ResourceRef& ref) { return build_path(ref, false); }

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                            (byte >= '0' && byte <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~';
    if (unreserved) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 0x0F];
    }
  }
  return encoded;
}

std::string with_query(std::string path, const QueryParams& params) {
  char separator = '?';
  for (const auto& [key, value] : params) {
    path += separator;
    path += percent_encode(key);
    path += '=';
    path += percent_encode(value);
    separator = '&';
  }
  return path;
}

QueryParams list_query(const ListOptions& options, const std::string& continue_token) {
  QueryParams params;
  if (!options.label_selector.empty()) params.emplace_back("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) params.emplace_back("fieldSelector", options.field_selector);
  if (options.page_size > 0) params.emplace_back("limit", std::to_string(options.page_size));
  if (!continue_token.empty()) params.emplace_back("continue", continue_token);
  return params;
}

QueryParams watch_query(const WatchOptions& options) {
  QueryParams params{{"watch", "true"}};
  if (!options.label_selector.empty()) params.emplace_back("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) params.emplace_back("fieldSelector", options.field_selector);
  if (!options.resource_version.empty())
    params.emplace_back("resourceVersion", options.resource_version);
  if (options.allow_bookmarks) params.emplace_back("allowWatchBookmarks", "true");
  if (options.timeout.count() > 0)
    params.emplace_back("timeoutSeconds", std::to_string(options.timeout.count()));
  return params;
}

const char* content_type_of(PatchType type) noexcept {
  switch (type) {
    case PatchType::kMerge: return "application/merge-patch+json";
    case PatchType::kJson: return "application/json-patch+json";
    case PatchType::kStrategicMerge: return "application/strategic-merge-patch+json";
    case PatchType::kApply: return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

}  // namespace autocanary::kube
