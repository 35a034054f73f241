#include "nn/script_source.h"

#include <algorithm>

#include "core/error.h"

namespace vssoff::nn::script {
namespace {
std::string self(const std::string& layer, const std::string& tensor) {
  return "self." + attribute(layer + "." + tensor);
}
}  // namespace

std::string attribute(const std::string& dotted) {
  std::string a = dotted;
  std::replace(a.begin(), a.end(), '.', '_');
  return a;
}

std::string conv(const std::string& x, const std::string& layer, int stride, int padding, int groups, bool bias) {
  return cat("torch.conv2d(", x, ", ", self(layer, "weight"), ", ", bias ? self(layer, "bias") : "None", ", [", stride,
             ", ", stride, "], [", padding, ", ", padding, "], [1, 1], ", groups, ")");
}

std::string batch_norm(const std::string& x, const std::string& layer) {
  return cat("torch.batch_norm(", x, ", ", self(layer, "weight"), ", ", self(layer, "bias"), ", ",
             self(layer, "running_mean"), ", ", self(layer, "running_var"), ", False, 0.1, 1e-05, False)");
}

std::string relu(const std::string& x) { return cat("torch.relu(", x, ")"); }

std::string dsconv(const std::string& x, const std::string& block, int in, int stride) {
  std::string y = relu(batch_norm(conv(x, block + ".dw", stride, 1, in, false), block + ".bn_dw"));
  return relu(batch_norm(conv(y, block + ".pw", 1, 0, 1, false), block + ".bn_pw"));
}

std::string stem(const std::string& x, const std::string& seq, int stride) {
  return relu(batch_norm(conv(x, seq + ".0", stride, 1, 1, false), seq + ".1"));
}

}  // namespace vssoff::nn::script
