// Paths and query strings of the Kubernetes REST API, e.g.
//   /api/v1/namespaces/shop/configmaps/web
//   /apis/apps/v1/namespaces/shop/deployments/web/status
//   /apis/apiextensions.k8s.io/v1/customresourcedefinitions?labelSelector=a%3Db
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/kube_client.h"

namespace autocanary::kube {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The path of `ref`: a collection when it has no name, else the object or its
// subresource. An error when the reference cannot name anything.
[[nodiscard]] Result<std::string> resource_path(const ResourceRef& ref);

// The path of the collection `ref` belongs to (its name and subresource ignored).
[[nodiscard]] Result<std::string> collection_path(const ResourceRef& ref);

// Percent-encodes everything but RFC 3986 unreserved characters.
[[nodiscard]] std::string percent_encode(std::string_view text);

// `path?k=v&…`, keys and values encoded; just `path` without parameters.
[[nodiscard]] std::string with_query(std::string path, const QueryParams& params);

[[nodiscard]] QueryParams list_query(const ListOptions& options, const std::string& continue_token);
[[nodiscard]] QueryParams watch_query(const WatchOptions& options);

[[nodiscard]] const char* content_type_of(PatchType type) noexcept;

}  // namespace autocanary::kube
