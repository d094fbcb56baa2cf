#include "tests/support/fixtures.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace autocanary::testing {

std::string load_text(const std::string& relative_path) {
  const std::string path = std::string(AUTOCANARY_TESTDATA_DIR) + "/" + relative_path;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("missing fixture " + path);
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

nlohmann::json load_json(const std::string& relative_path) {
  return nlohmann::json::parse(load_text(relative_path));
}

nlohmann::json apply_patch(const nlohmann::json& object, const decision::Decision& decision) {
  return object.patch(decision.patch.operations());
}

decision::AdmissionInput input_from_review(const nlohmann::json& review) {
  const auto& request = review.at("request");
  decision::AdmissionInput input;
  const std::string operation = request.at("operation");
  input.operation = operation == "CREATE"   ? decision::Operation::kCreate
                    : operation == "UPDATE" ? decision::Operation::kUpdate
                    : operation == "DELETE" ? decision::Operation::kDelete
                                            : decision::Operation::kConnect;
  input.namespace_name = request.value("namespace", "");
  const auto& kind = request.at("kind");
  input.is_deployment = kind.at("group") == "apps" && kind.at("kind") == "Deployment";
  if (request.contains("object") && !request.at("object").is_null()) input.new_object = &request.at("object");
  if (request.contains("oldObject") && !request.at("oldObject").is_null())
    input.old_object = &request.at("oldObject");
  input.username = request.at("userInfo").value("username", "");
  input.dry_run = request.value("dryRun", false);
  if (request.contains("options") && request.at("options").is_object())
    input.field_manager = request.at("options").value("fieldManager", "");
  return input;
}

}  // namespace autocanary::testing
