#include "nn/model_card.h"

#include <filesystem>

#include "core/error.h"
#include "core/fs.h"

namespace fs = std::filesystem;

namespace vssoff::nn {

std::string ModelCard::weights_path() const {
  fs::path w = weights;
  if (w.is_relative() && !card_path.empty()) w = fs::path(card_path).parent_path() / w;
  return w.lexically_normal().string();
}

void ModelCard::check() const {
  const std::string& where = card_path.empty() ? name : card_path;
  // Which tasks and architectures exist is for the task heads and the runner's loaders to say
  // (nn/runner.h): a card names them, nn does not list the systems' ones.
  vssoff::check<InputError>(!task.empty(), where, ": no task");
  vssoff::check<InputError>(!architecture.empty(), where, ": no architecture");
  vssoff::check<InputError>(!weights.empty(), where, ": no weights file");
  vssoff::check<InputError>(stride >= 1 && stride <= 256, where, ": invalid stride ", stride);
  vssoff::check<InputError>(input_width >= 0 && input_height >= 0, where, ": invalid input size");
  for (float s : std) vssoff::check<InputError>(s > 0, where, ": input std must be > 0");
  vssoff::check<InputError>(architecture == "torchscript" || !classes.empty(), where, ": no classes");
}

ModelCard read_model_card(const std::string& path) {
  Json m = read_manifest(path, "modelcard", kModelCardVersion);
  ModelCard c;
  c.card_path = path;
  try {
    c.name = m.at("name").get<std::string>();
    c.task = m.at("task").get<std::string>();
    c.architecture = m.at("architecture").get<std::string>();
    c.arch_params = m.value("arch_params", Json::object());
    for (const Json& k : m.at("classes")) {
      const size_t id = json_get<size_t>(k, "id", path);
      check<InputError>(id < 255, path, ": class id ", id, " out of range");
      if (c.classes.size() <= id) c.classes.resize(id + 1);
      c.classes[id] = k.at("name").get<std::string>();
    }
    const Json& in = m.at("input");
    check<InputError>(in.value("color", "rgb") == "rgb", path, ": only RGB input is supported (got ",
                      in.value("color", ""), ")");
    check<InputError>(in.value("scale", 1.0 / 255) > 0, path, ": input scale must be > 0");
    c.mean = in.at("mean").get<std::array<float, 3>>();
    c.std = in.at("std").get<std::array<float, 3>>();
    c.input_width = json_get<int>(in, "width", path, 0);
    c.input_height = json_get<int>(in, "height", path, 0);
    c.stride = json_get<int>(in, "stride", path, 16);
    c.output = m.value("output", "logits");
    check<InputError>(c.output == "logits" || c.output == "centernet" || c.output == "detections", path,
                      ": output kind must be \"logits\", \"centernet\" or \"detections\" (got \"", c.output, "\")");
    if (m.contains("detection")) {
      c.score_threshold = json_get<double>(m["detection"], "score_threshold", path, 0.3);
      c.max_detections = json_get<int>(m["detection"], "max_detections", path, 100);
      check<InputError>(c.score_threshold >= 0 && c.score_threshold <= 1 && c.max_detections >= 1, path,
                        ": detection.score_threshold must be in [0, 1] and max_detections >= 1");
    }
    if (m.contains("cost")) {
      c.gflops = m["cost"].value("gflops", 0.0);
      c.cost_width = json_get<int>(m["cost"], "width", path, 640);
      c.cost_height = json_get<int>(m["cost"], "height", path, 360);
    }
    c.weights = m.at("weights").get<std::string>();
    c.produced_by = m.value("produced_by", Json::object());
    c.metrics = m.value("metrics", Json::object());
  } catch (const Json::exception& e) {
    throw InputError(cat(path, ": malformed model card (", e.what(), ")"));
  }
  c.check();
  check_input_file(c.weights_path(), cat("weights of model card ", path));
  return c;
}

void write_model_card(const std::string& path, const ModelCard& c, bool force) {
  Json m = new_manifest("modelcard", kModelCardVersion);
  m["name"] = c.name;
  m["task"] = c.task;
  m["architecture"] = c.architecture;
  m["arch_params"] = c.arch_params;
  Json classes = Json::array();
  for (size_t i = 0; i < c.classes.size(); ++i)
    if (!c.classes[i].empty() || c.task != "detection") classes.push_back({{"id", i}, {"name", c.classes[i]}});
  m["classes"] = classes;
  m["input"] = {{"color", "rgb"},         {"scale", 1.0 / 255},       {"mean", c.mean},    {"std", c.std},
                {"width", c.input_width}, {"height", c.input_height}, {"stride", c.stride}};
  m["output"] = c.output;
  if (c.task == "detection")
    m["detection"] = {{"score_threshold", c.score_threshold}, {"max_detections", c.max_detections}};
  m["cost"] = {{"gflops", c.gflops}, {"width", c.cost_width}, {"height", c.cost_height}};
  m["weights"] = c.weights;
  m["produced_by"] = c.produced_by;
  m["metrics"] = c.metrics;
  write_manifest(path, m, force);
}

std::vector<int> ModelCard::category_ids() const {
  std::vector<int> ids;
  for (size_t i = 0; i < classes.size(); ++i)
    if (!classes[i].empty()) ids.push_back(static_cast<int>(i));
  return ids;
}

ModelCard assumed_card(const std::string& path) {
  ModelCard c;
  c.name = fs::path(path).stem().string();
  c.architecture = "torchscript";
  c.weights = path;
  c.stride = 32;
  return c;
}

double ModelCard::gflops_at(int width, int height) const {
  const double pixels = input_width > 0 ? double(input_width) * input_height : double(width) * height;
  return gflops * pixels / (double(cost_width) * cost_height);
}

}  // namespace vssoff::nn
