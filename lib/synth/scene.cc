#include "synth/scene.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace vssoff::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;

// ---------------------------------------------------------------- randomness
// splitmix64: small, fast and identical everywhere (std:: distributions are not).
struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return (next() >> 11) * 0x1.0p-53; }
  double range(double a, double b) { return a + (b - a) * uniform(); }
  int integer(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  bool chance(double p) { return uniform() < p; }
  double normal() {
    double u1 = std::max(uniform(), 1e-12), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * u2);
  }
};

uint32_t hash3(int x, int y, uint32_t seed) {
  uint32_t h = static_cast<uint32_t>(x) * 0x8da6b343u ^ static_cast<uint32_t>(y) * 0xd8163841u ^ seed * 0xcb1ab31fu;
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  return h ^ (h >> 15);
}

// ---------------------------------------------------------------- textures
constexpr int kTex = 256;  // tiles are kTex x kTex and wrap

// Tileable value noise in [0, 1] with the given lattice period (divides kTex).
double value_noise(double x, double y, int period, uint32_t seed) {
  double fx = x * period / kTex, fy = y * period / kTex;
  int ix = static_cast<int>(std::floor(fx)), iy = static_cast<int>(std::floor(fy));
  double tx = fx - ix, ty = fy - iy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  auto v = [&](int a, int b) {
    return (hash3(((a % period) + period) % period, ((b % period) + period) % period, seed) & 0xffff) / 65535.0;
  };
  double a = v(ix, iy) + (v(ix + 1, iy) - v(ix, iy)) * tx;
  double b = v(ix, iy + 1) + (v(ix + 1, iy + 1) - v(ix, iy + 1)) * tx;
  return a + (b - a) * ty;
}

double fractal(double x, double y, int base_period, int octaves, uint32_t seed) {
  double sum = 0, amp = 1, norm = 0;
  for (int o = 0; o < octaves; ++o) {
    sum += amp * value_noise(x, y, base_period << o, seed + o * 101);
    norm += amp;
    amp *= 0.55;
  }
  return sum / norm;
}

struct Texture {
  std::vector<uint8_t> rgb = std::vector<uint8_t>(kTex * kTex * 3);
  const uint8_t* at(int x, int y) const { return &rgb[((y & (kTex - 1)) * kTex + (x & (kTex - 1))) * 3]; }
  void set(int x, int y, double r, double g, double b) {
    uint8_t* p = &rgb[(y * kTex + x) * 3];
    p[0] = static_cast<uint8_t>(std::clamp(r, 0.0, 255.0));
    p[1] = static_cast<uint8_t>(std::clamp(g, 0.0, 255.0));
    p[2] = static_cast<uint8_t>(std::clamp(b, 0.0, 255.0));
  }
};

enum TextureId {
  kTexAsphalt,
  kTexSidewalk,
  kTexBrick,
  kTexConcrete,
  kTexGlass,
  kTexFoliage,
  kTexGrass,
  kTexClouds,
  kTexDetail,  // grey modulation (128 = x1) for painted objects: vehicles, clothes, signs
  kTexCount
};

std::array<Texture, kTexCount> make_textures(uint32_t seed) {
  std::array<Texture, kTexCount> t;
  Rng grain_rng(seed ^ 0xabcdef);
  for (int y = 0; y < kTex; ++y) {
    for (int x = 0; x < kTex; ++x) {
      double g = grain_rng.uniform() - 0.5;  // per-texel grain: the detail compression kills first
      double n1 = fractal(x, y, 8, 4, seed + 1), n2 = fractal(x, y, 32, 3, seed + 2);
      // Asphalt: dark grey, coarse stains, strong grain, sparse light pebbles.
      double a = 62 + 38 * n1 + 30 * g + (hash3(x, y, seed + 3) % 97 == 0 ? 50 : 0);
      t[kTexAsphalt].set(x, y, a, a, a + 3);
      // Sidewalk: light paving slabs of 32 texels with dark joints.
      double s = 150 + 30 * n2 + 22 * g - ((x % 32 < 2 || y % 32 < 2) ? 55 : 0);
      t[kTexSidewalk].set(x, y, s + 6, s + 2, s - 4);
      // Brick: 16x8 courses, offset every other row, mortar lines.
      int row = y / 8, bx = (x + (row % 2) * 8) % 16;
      bool mortar = (y % 8 == 0) || (bx == 0);
      double bv = 0.75 + 0.35 * value_noise(x / 16 * 16 + row * 7, row * 8, 64, seed + 4) + 0.25 * g;
      if (mortar)
        t[kTexBrick].set(x, y, 175 + 20 * g, 170 + 20 * g, 160 + 20 * g);
      else
        t[kTexBrick].set(x, y, 150 * bv, 70 * bv, 50 * bv);
      // Concrete facade: beige with stains.
      double c = 170 + 45 * n1 - 25 * n2 + 25 * g;
      t[kTexConcrete].set(x, y, c, c * 0.95, c * 0.85);
      // Glass facade: blue-grey with smooth reflections.
      double r = 0.5 + 0.5 * std::sin((x + 2 * y) * 0.05 + 6 * n2);
      t[kTexGlass].set(x, y, 70 + 60 * r + 15 * g, 95 + 60 * r + 15 * g, 120 + 70 * r + 15 * g);
      // Foliage: leaves as high-frequency dark and light speckles.
      double leaf = fractal(x, y, 64, 2, seed + 5);
      double f = 0.55 + 0.7 * (leaf - 0.5) + 0.6 * g + 0.3 * (n1 - 0.5);
      t[kTexFoliage].set(x, y, 40 * f + 10, 110 * f + 15, 35 * f + 5);
      // Grass verge.
      double gr = 0.8 + 0.4 * n2 + 0.5 * g;
      t[kTexGrass].set(x, y, 95 * gr, 130 * gr, 55 * gr);
      // Clouds: soft white blobs (alpha in the red channel).
      double cl = std::clamp((fractal(x, y, 4, 4, seed + 6) - 0.45) * 3.0, 0.0, 1.0);
      t[kTexClouds].set(x, y, 255 * cl, 255 * cl, 255 * cl);
      // Detail modulation for painted surfaces.
      double d = 128 + 28 * (n1 - 0.5) + 36 * g;
      t[kTexDetail].set(x, y, d, d, d);
    }
  }
  return t;
}

// ---------------------------------------------------------------- presets
struct Preset {
  double vehicle_rate, person_rate;  // spawns per second at full activity
  double vehicle_speed_lo, vehicle_speed_hi;
  double person_speed_lo, person_speed_hi;
  double pan_amplitude, pan_period_s;  // world units, seconds
  double zoom_amplitude, zoom_period_s;
  double noise_sigma;
  double light;          // global gain
  bool highway;          // grass verges, no buildings at the street, fast traffic
  bool night;            // lit windows, headlights, street lamps
  bool pedestrian_road;  // people walk on the road too (plaza)
  double calm_level;     // activity in calm periods
};

Preset preset_for(const std::string& name) {
  //            veh   pers   vlo   vhi  plo  phi  pan   panT  zoom  zoomT noise light hwy   night  road   calm
  if (name == "street") return {1.8, 2.2, 60, 140, 18, 40, 140, 24, 0.10, 31, 2.0, 1.00, false, false, false, 0.15};
  if (name == "highway") return {3.2, 0.0, 170, 280, 0, 0, 30, 40, 0.18, 20, 1.5, 1.05, true, false, false, 0.10};
  if (name == "crowd") return {0.2, 7.0, 40, 80, 14, 36, 200, 30, 0.12, 26, 2.0, 0.95, false, false, true, 0.25};
  if (name == "night") return {1.4, 0.8, 60, 140, 18, 40, 60, 30, 0.05, 40, 5.0, 0.30, false, true, false, 0.15};
  throw UsageError(cat("unknown synth preset \"", name, "\" (street, highway, crowd, night)"));
}

// ---------------------------------------------------------------- layout (world units)
constexpr double kHorizon = 150;  // ground starts here; buildings stand on it
constexpr double kWorldX0 = -3000, kWorldX1 = 5000;

struct Layout {
  double far_walk_end, road_end;  // far sidewalk [kHorizon, far_walk_end), road [.., road_end), near walk after
  std::vector<double> lanes;      // lane centre lines (ground y)
};

Layout layout_for(const Preset& p) {
  Layout l;
  if (p.highway) {
    l.far_walk_end = 168;
    l.road_end = 318;
    l.lanes = {180, 200, 224, 252, 282, 306};
  } else {
    l.far_walk_end = 172;
    l.road_end = 290;
    l.lanes = {186, 214, 246, 276};
  }
  return l;
}

// Perspective: apparent size of an object standing on ground row y.
double depth_scale(double y) { return std::max(0.06, (y - kHorizon + 8) / 130.0); }

struct Building {
  double x0, x1, height;
  int texture;
  double win_sx, win_sy, win_w, win_h, margin;
  uint32_t seed;
  double lit_fraction;
};

enum class Kind { kCar, kVan, kBus, kMotorbike, kPerson, kTree, kPole, kLamp };

struct Object {
  Kind kind;
  int track_id = 0;                                     // vehicles and people only
  double x = 0, y = 0;                                  // centre x, ground contact y (world)
  double speed = 0;                                     // world units per second along x (signed)
  double size = 1;                                      // individual size factor
  uint8_t r = 0, g = 0, b = 0, r2 = 0, g2 = 0, b2 = 0;  // main and secondary colour
  double phase = 0;                                     // gait phase for people
  int variant = 0;
};

struct Paint {
  uint8_t r, g, b;
  const Texture* tex;  // full-colour texture (modulate = false) or grey modulation
  bool modulate;
  double tex_scale;  // texels per world unit
  double ox, oy;     // texture origin (world), so textures move with objects
  uint8_t label;
  uint16_t slot;  // instance slot, 0 = none
  bool emissive;
};

}  // namespace

const std::vector<ClassInfo>& class_legend() {
  static const std::vector<ClassInfo> legend = {{kSky, "sky", 70, 130, 180},
                                                {kBuilding, "building", 70, 70, 70},
                                                {kRoad, "road", 128, 64, 128},
                                                {kSidewalk, "sidewalk", 244, 35, 232},
                                                {kVegetation, "vegetation", 107, 142, 35},
                                                {kVehicle, "vehicle", 0, 0, 142},
                                                {kPerson, "person", 220, 20, 60},
                                                {kPoleSign, "pole/sign", 220, 220, 0}};
  return legend;
}

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {"street", "highway", "crowd", "night"};
  return names;
}

void SceneOptions::check() const {
  preset_for(preset);
  vssoff::check<UsageError>(width >= 16 && height >= 16 && width <= 8192 && height <= 8192,
                            "synth frame size must be in [16, 8192] (got ", width, "x", height, ")");
  vssoff::check<UsageError>(fps.valid() && fps.value() <= 240, "invalid frame rate ", fps.num, "/", fps.den);
  vssoff::check<UsageError>(noise_sigma < 0 || noise_sigma <= 50, "noise sigma must be in [0, 50] (got ", noise_sigma,
                            ")");
  vssoff::check<UsageError>(activity >= 0 && activity <= 10, "activity must be in [0, 10] (got ", activity, ")");
}

struct SceneRenderer::Impl {
  SceneOptions opt;
  Preset pre;
  Layout lay;
  Rng rng;
  std::array<Texture, kTexCount> tex;
  std::vector<Building> buildings;
  std::vector<int> building_at;  // per integer world x: index into buildings or -1
  std::vector<Object> statics;   // trees, poles, lamps
  std::vector<Object> movers;    // vehicles and people
  int next_track = 1;
  int64_t frame = -1;
  double t = 0, dt;
  double activity = 0.5, activity_target = 1.0, state_left_s = 0;
  double cloud_shadow = 1.0, cloud_target = 1.0, cloud_left_s = 0;
  std::vector<int8_t> noise;  // gaussian table, indexed from a random offset each frame
  // Per-frame buffers.
  std::vector<uint8_t> rgb, label, emissive;
  std::vector<uint16_t> slot;
  std::vector<int64_t> drawn;  // per slot: pixels painted (before occlusion)
  std::vector<int> slot_track, slot_class;
  // Camera, and per-frame tables of the world x of every pixel column.
  double cam_x = 0, cam_y = 180, zoom = 1, px_per_unit = 1;
  std::vector<double> col_wx;
  std::vector<int> col_building;    // building index under each column, -1 = none
  std::vector<uint8_t> col_window;  // column falls on a window column of its building
  int W, H;

  explicit Impl(const SceneOptions& o)
      : opt(o),
        pre(preset_for(o.preset)),
        lay(layout_for(pre)),
        rng(o.seed),
        tex(make_textures(static_cast<uint32_t>(o.seed))) {
    W = o.width;
    H = o.height;
    dt = 1.0 / o.fps.value();
    if (opt.noise_sigma < 0) opt.noise_sigma = pre.noise_sigma;
    px_per_unit = H / 360.0;
    build_world();
    noise.resize(static_cast<size_t>(W) * H * 3 + (1 << 18));
    Rng nr(o.seed ^ 0x5eed);
    for (auto& n : noise) n = static_cast<int8_t>(std::clamp(std::lround(nr.normal() * opt.noise_sigma), -127l, 127l));
    size_t n = static_cast<size_t>(W) * H;
    rgb.resize(n * 3);
    label.resize(n);
    emissive.resize(n);
    slot.resize(n);
    // Start with a populated street rather than an empty one.
    for (int i = 0; i < static_cast<int>(8 / dt); ++i) simulate(true);
  }

  // ------------------------------------------------------------ world
  void build_world() {
    building_at.assign(static_cast<size_t>(kWorldX1 - kWorldX0), -1);
    double x = kWorldX0;
    while (x < kWorldX1) {
      Building b;
      b.x0 = x;
      b.x1 = x + rng.range(pre.highway ? 120 : 60, pre.highway ? 400 : 220);
      b.height = pre.highway ? rng.range(15, 60) : rng.range(55, 150);
      if (pre.highway && rng.chance(0.4)) b.height = 0;  // open country: sky down to the horizon
      int pick = rng.integer(0, 2);
      b.texture = pick == 0 ? kTexBrick : pick == 1 ? kTexConcrete : kTexGlass;
      b.win_sx = rng.range(12, 22);
      b.win_sy = rng.range(14, 24);
      b.win_w = b.win_sx * rng.range(0.35, 0.65);
      b.win_h = b.win_sy * rng.range(0.4, 0.65);
      b.margin = rng.range(3, 8);
      b.seed = static_cast<uint32_t>(rng.next());
      b.lit_fraction = rng.range(0.2, 0.7);
      int idx = static_cast<int>(buildings.size());
      buildings.push_back(b);
      if (b.height > 0)
        for (int wx = static_cast<int>(b.x0 - kWorldX0);
             wx < static_cast<int>(b.x1 - kWorldX0) && wx < (int)building_at.size(); ++wx)
          building_at[wx] = idx;
      x = b.x1 + (rng.chance(0.25) ? rng.range(5, 40) : 0);
    }
    // Trees along both sidewalks (verges on the highway), poles and signs, lamps at night.
    for (double tx = kWorldX0; tx < kWorldX1; tx += rng.range(70, 260)) {
      Object o{Kind::kTree};
      o.x = tx;
      o.y = rng.chance(0.75) ? rng.range(kHorizon + 4, lay.far_walk_end - 4) : rng.range(lay.road_end + 25, 345);
      o.size = rng.range(0.7, 1.3);
      o.variant = static_cast<int>(rng.next() % 1000);
      statics.push_back(o);
    }
    for (double px = kWorldX0; px < kWorldX1; px += rng.range(120, 320)) {
      Object o{pre.night && rng.chance(0.6) ? Kind::kLamp : Kind::kPole};
      o.x = px;
      o.y = rng.chance(0.5) ? lay.far_walk_end - 2 : lay.road_end + 6;
      o.variant = rng.integer(0, 2);
      statics.push_back(o);
    }
  }

  // ------------------------------------------------------------ simulation
  void spawn_vehicle() {
    Object o{Kind::kCar};
    double k = rng.uniform();
    o.kind = k < 0.62 ? Kind::kCar : k < 0.8 ? Kind::kVan : k < 0.9 ? Kind::kBus : Kind::kMotorbike;
    if (pre.highway && o.kind == Kind::kBus && rng.chance(0.5)) o.kind = Kind::kVan;
    size_t lane = rng.integer(0, static_cast<int>(lay.lanes.size()) - 1);
    bool leftward = lane < lay.lanes.size() / 2;  // far lanes drive left, near lanes right
    o.y = lay.lanes[lane] + rng.range(-3, 3);
    double sp = rng.range(pre.vehicle_speed_lo, pre.vehicle_speed_hi);
    o.speed = leftward ? -sp : sp;
    double half_view = W / 2.0 / px_per_unit / zoom;
    o.x = leftward ? cam_x + half_view + 150 + rng.range(0, 80) : cam_x - half_view - 150 - rng.range(0, 80);
    static const uint8_t paints[][3] = {{200, 30, 30},   {230, 230, 235}, {25, 25, 30},  {40, 70, 160},
                                        {150, 150, 155}, {230, 190, 40},  {30, 110, 60}, {120, 20, 40}};
    const uint8_t* c = paints[rng.integer(0, 7)];
    o.r = c[0];
    o.g = c[1];
    o.b = c[2];
    o.size = rng.range(0.9, 1.1);
    o.track_id = next_track++;
    o.variant = rng.integer(0, 1000);
    movers.push_back(o);
  }

  void spawn_person() {
    Object o{Kind::kPerson};
    double band = rng.uniform();
    if (pre.pedestrian_road && band < 0.45)
      o.y = rng.range(lay.far_walk_end + 4, lay.road_end - 2);
    else if (band < 0.7)
      o.y = rng.range(kHorizon + 6, lay.far_walk_end);
    else
      o.y = rng.range(lay.road_end + 8, 352);
    double sp = rng.range(pre.person_speed_lo, pre.person_speed_hi);
    bool leftward = rng.chance(0.5);
    o.speed = leftward ? -sp : sp;
    double half_view = W / 2.0 / px_per_unit / zoom;
    // People also appear from doors inside the view, not only from the edges.
    if (rng.chance(0.3))
      o.x = cam_x + rng.range(-half_view, half_view);
    else
      o.x = leftward ? cam_x + half_view + 60 : cam_x - half_view - 60;
    static const uint8_t shirts[][3] = {{180, 40, 40}, {40, 60, 150},  {230, 230, 220}, {30, 30, 30},
                                        {60, 140, 70}, {220, 170, 50}, {150, 90, 160},  {200, 120, 90}};
    static const uint8_t trousers[][3] = {{30, 40, 80}, {40, 40, 40}, {110, 90, 60}, {70, 70, 75}};
    const uint8_t* s = shirts[rng.integer(0, 7)];
    const uint8_t* tr = trousers[rng.integer(0, 3)];
    o.r = s[0];
    o.g = s[1];
    o.b = s[2];
    o.r2 = tr[0];
    o.g2 = tr[1];
    o.b2 = tr[2];
    o.size = rng.range(0.85, 1.12);
    o.phase = rng.range(0, 2 * kPi);
    o.track_id = next_track++;
    o.variant = rng.integer(0, 1000);
    movers.push_back(o);
  }

  void simulate(bool allow_spawn) {
    t += dt;
    // Busy / calm periods.
    state_left_s -= dt;
    if (state_left_s <= 0) {
      activity_target = activity_target > 0.5 ? pre.calm_level : 1.0;
      state_left_s = rng.range(3, 9);
    }
    activity += (activity_target - activity) * std::min(1.0, dt / 1.2);
    // Passing clouds.
    cloud_left_s -= dt;
    if (cloud_left_s <= 0) {
      cloud_target = cloud_target < 1.0 ? 1.0 : (rng.chance(0.5) ? rng.range(0.7, 0.85) : 1.0);
      cloud_left_s = rng.range(2, 8);
    }
    cloud_shadow += (cloud_target - cloud_shadow) * std::min(1.0, dt / 0.8);
    // Camera: slow pan and zoom.
    cam_x = pre.pan_amplitude * std::sin(2 * kPi * t / pre.pan_period_s) +
            0.35 * pre.pan_amplitude * std::sin(2 * kPi * t / (pre.pan_period_s * 0.37) + 1.0);
    zoom = 1.0 + pre.zoom_amplitude * (0.5 + 0.5 * std::sin(2 * kPi * t / pre.zoom_period_s));
    // Motion.
    for (auto& o : movers) {
      o.x += o.speed * dt * (o.kind == Kind::kPerson ? 1.0 : depth_scale(o.y) * 0.7 + 0.3);
      o.phase += std::abs(o.speed) * dt * 0.12;
    }
    double half_view = W / 2.0 / px_per_unit / zoom;
    movers.erase(std::remove_if(movers.begin(), movers.end(),
                                [&](const Object& o) { return std::abs(o.x - cam_x) > half_view + 420; }),
                 movers.end());
    if (!allow_spawn) return;
    double level = activity * opt.activity;
    if (rng.chance(pre.vehicle_rate * level * dt)) spawn_vehicle();
    if (rng.chance(pre.person_rate * level * dt)) spawn_person();
    if (pre.person_rate > 2 && rng.chance(pre.person_rate * level * dt)) spawn_person();
  }

  // ------------------------------------------------------------ rendering
  int to_px(double wx) const { return static_cast<int>(std::floor((wx - cam_x) * px_per_unit * zoom + W / 2.0)); }
  int to_py(double wy) const { return static_cast<int>(std::floor((wy - cam_y) * px_per_unit * zoom + H / 2.0)); }
  double to_wx(int u) const { return col_wx[u]; }
  double to_wy(int v) const { return cam_y + (v + 0.5 - H / 2.0) / (px_per_unit * zoom); }

  void put(size_t i, const uint8_t* c, uint8_t lab, uint16_t s, bool em) {
    rgb[i * 3] = c[0];
    rgb[i * 3 + 1] = c[1];
    rgb[i * 3 + 2] = c[2];
    label[i] = lab;
    emissive[i] = em;
    if (s && slot[i] != s) ++drawn[s];
    slot[i] = s;
  }

  void shade(const Paint& p, double wx, double wy, uint8_t* out) const {
    int tx = static_cast<int>(std::floor((wx - p.ox) * p.tex_scale)),
        ty = static_cast<int>(std::floor((wy - p.oy) * p.tex_scale));
    const uint8_t* c = p.tex->at(tx, ty);
    if (!p.modulate) {
      std::memcpy(out, c, 3);
      return;
    }
    int m = c[0];
    out[0] = static_cast<uint8_t>(std::min(255, p.r * m >> 7));
    out[1] = static_cast<uint8_t>(std::min(255, p.g * m >> 7));
    out[2] = static_cast<uint8_t>(std::min(255, p.b * m >> 7));
  }

  // Axis-aligned rectangle [x0, x1) x [y0, y1) in world units.
  void fill_rect(double x0, double y0, double x1, double y1, const Paint& p) {
    int u0 = std::max(0, to_px(x0)), u1 = std::min(W, to_px(x1)), v0 = std::max(0, to_py(y0)),
        v1 = std::min(H, to_py(y1));
    uint8_t c[3];
    for (int v = v0; v < v1; ++v) {
      double wy = to_wy(v);
      for (int u = u0; u < u1; ++u) {
        shade(p, to_wx(u), wy, c);
        put(static_cast<size_t>(v) * W + u, c, p.label, p.slot, p.emissive);
      }
    }
  }

  void fill_ellipse(double cx, double cy, double rx, double ry, const Paint& p) {
    int u0 = std::max(0, to_px(cx - rx)), u1 = std::min(W, to_px(cx + rx) + 1);
    int v0 = std::max(0, to_py(cy - ry)), v1 = std::min(H, to_py(cy + ry) + 1);
    uint8_t c[3];
    for (int v = v0; v < v1; ++v) {
      double wy = to_wy(v), dy = (wy - cy) / ry;
      for (int u = u0; u < u1; ++u) {
        double wx = to_wx(u), dx = (wx - cx) / rx;
        if (dx * dx + dy * dy > 1) continue;
        shade(p, wx, wy, c);
        put(static_cast<size_t>(v) * W + u, c, p.label, p.slot, p.emissive);
      }
    }
  }

  Paint material(int texture, double scale, uint8_t lab) const {
    return Paint{0, 0, 0, &tex[texture], false, scale, 0, 0, lab, 0, false};
  }
  Paint painted(uint8_t r, uint8_t g, uint8_t b, uint8_t lab, uint16_t s, double ox, double oy, double scale) const {
    return Paint{r, g, b, &tex[kTexDetail], true, scale, ox, oy, lab, s, false};
  }

  void prepare_columns() {
    col_wx.resize(W);
    col_building.resize(W);
    col_window.resize(W);
    for (int u = 0; u < W; ++u) {
      double wx = cam_x + (u + 0.5 - W / 2.0) / (px_per_unit * zoom);
      col_wx[u] = wx;
      int bx = static_cast<int>(wx - kWorldX0);
      int bi = bx >= 0 && bx < static_cast<int>(building_at.size()) ? building_at[bx] : -1;
      col_building[u] = bi;
      if (bi >= 0) {
        const Building& b = buildings[bi];
        double lx = wx - b.x0 - b.margin;
        col_window[u] = lx >= 0 && wx < b.x1 - b.margin && std::fmod(lx, b.win_sx) < b.win_w;
      }
    }
  }

  void render_background() {
    prepare_columns();
    const double cloud_drift = t * 6.0;
    for (int v = 0; v < H; ++v) {
      double wy = to_wy(v);
      uint8_t* row = &rgb[static_cast<size_t>(v) * W * 3];
      uint8_t* lrow = &label[static_cast<size_t>(v) * W];
      uint8_t* erow = &emissive[static_cast<size_t>(v) * W];
      if (wy < kHorizon) {
        // Sky gradient (dark blue at night) with clouds, or a building facade.
        double k = std::clamp(wy / kHorizon, 0.0, 1.0);
        double sr = pre.night ? 10 + 20 * k : 95 + 90 * k, sg = pre.night ? 14 + 22 * k : 145 + 70 * k,
               sb = pre.night ? 35 + 30 * k : 215 + 30 * k;
        for (int u = 0; u < W; ++u) {
          double wx = col_wx[u];
          int bi = col_building[u];
          uint8_t* px = row + u * 3;
          erow[u] = 0;
          if (bi >= 0 && wy >= kHorizon - buildings[bi].height) {
            const Building& b = buildings[bi];
            double lx = wx - b.x0 - b.margin, ly = kHorizon - wy - b.margin;
            bool window = col_window[u] && ly >= 6 && ly < b.height - 2 * b.margin && std::fmod(ly, b.win_sy) < b.win_h;
            if (window) {
              int wxi = static_cast<int>(lx / b.win_sx), wyi = static_cast<int>(ly / b.win_sy);
              uint32_t h = hash3(wxi, wyi, b.seed);
              bool lit = pre.night && (h & 1023) < b.lit_fraction * 1024;
              const uint8_t* g = tex[kTexGlass].at(static_cast<int>(wx * 2), static_cast<int>(wy * 2));
              if (lit) {
                px[0] = 235;
                px[1] = 200 + (h >> 12) % 40;
                px[2] = 120 + (h >> 18) % 60;
                erow[u] = 1;
              } else {
                px[0] = g[0] / 2;
                px[1] = g[1] / 2;
                px[2] = g[2] / 2 + 10;
              }
            } else {
              std::memcpy(px, tex[b.texture].at(static_cast<int>(wx * 2), static_cast<int>(wy * 2)), 3);
            }
            lrow[u] = kBuilding;
          } else {
            const uint8_t* cl =
                tex[kTexClouds].at(static_cast<int>(wx * 0.7 + cloud_drift), static_cast<int>(wy * 1.4));
            double a = pre.night ? cl[0] / 255.0 * 0.15 : cl[0] / 255.0 * 0.8;
            px[0] = static_cast<uint8_t>(sr + (240 - sr) * a);
            px[1] = static_cast<uint8_t>(sg + (242 - sg) * a);
            px[2] = static_cast<uint8_t>(sb + (245 - sb) * a);
            lrow[u] = kSky;
          }
        }
      } else {
        // Ground: texture scale follows depth, so distant ground carries finer detail.
        double sc = depth_scale(wy), ts = 2.0 / sc;
        int ty = static_cast<int>(wy * ts * 0.5);
        bool far_walk = wy < lay.far_walk_end, near_walk = wy >= lay.road_end;
        int texture = far_walk || near_walk ? (pre.highway ? kTexGrass : kTexSidewalk) : kTexAsphalt;
        uint8_t lab = far_walk || near_walk ? (pre.highway ? kVegetation : kSidewalk) : kRoad;
        // Lane markings: dashed white lines between lanes, solid at the road edges.
        bool marking_row = false, solid = false;
        if (!far_walk && !near_walk) {
          double half = 1.2 * sc;
          if (std::abs(wy - lay.far_walk_end - 3 * sc) < half || std::abs(wy - lay.road_end + 3 * sc) < half) {
            marking_row = solid = true;
          }
          for (size_t i = 0; i + 1 < lay.lanes.size(); ++i)
            if (std::abs(wy - 0.5 * (lay.lanes[i] + lay.lanes[i + 1])) < half) marking_row = true;
        }
        for (int u = 0; u < W; ++u) {
          double wx = to_wx(u);
          uint8_t* px = row + u * 3;
          const uint8_t* c = tex[texture].at(static_cast<int>(wx * ts), ty);
          if (marking_row && (solid || static_cast<int>(std::floor(wx / 30.0)) % 2 == 0)) {
            int m = 200 + (c[0] - 80) / 2;
            px[0] = px[1] = static_cast<uint8_t>(std::clamp(m, 0, 255));
            px[2] = static_cast<uint8_t>(std::clamp(m - 10, 0, 255));
          } else {
            std::memcpy(px, c, 3);
          }
          lrow[u] = lab;
          erow[u] = 0;
        }
        // Highway: a paved shoulder strip between verge and road is still road.
      }
    }
    std::fill(slot.begin(), slot.end(), 0);
  }

  uint16_t new_slot(const Object& o, int class_id) {
    slot_track.push_back(o.track_id);
    slot_class.push_back(class_id);
    drawn.push_back(0);
    return static_cast<uint16_t>(slot_track.size() - 1);
  }

  void draw(const Object& o) {
    double sc = depth_scale(o.y) * o.size;
    switch (o.kind) {
      case Kind::kTree: {
        Paint trunk = painted(90, 65, 40, kVegetation, 0, o.x, o.y, 2.0 / sc);
        fill_rect(o.x - 4 * sc, o.y - 45 * sc, o.x + 4 * sc, o.y, trunk);
        Paint crown = material(kTexFoliage, 2.5 / sc, kVegetation);
        crown.ox = o.variant * 17.0;
        fill_ellipse(o.x, o.y - 70 * sc, 34 * sc, 40 * sc, crown);
        fill_ellipse(o.x - 18 * sc, o.y - 55 * sc, 22 * sc, 24 * sc, crown);
        fill_ellipse(o.x + 20 * sc, o.y - 58 * sc, 20 * sc, 26 * sc, crown);
        break;
      }
      case Kind::kPole:
      case Kind::kLamp: {
        Paint pole = painted(110, 112, 115, kPoleSign, 0, o.x, o.y, 3.0 / sc);
        fill_rect(o.x - 2 * sc, o.y - 125 * sc, o.x + 2 * sc, o.y, pole);
        if (o.kind == Kind::kLamp) {
          Paint lamp = painted(255, 235, 180, kPoleSign, 0, o.x, o.y, 1.0);
          lamp.emissive = true;
          fill_ellipse(o.x + 8 * sc, o.y - 124 * sc, 8 * sc, 4 * sc, lamp);
        } else if (o.variant == 0) {
          fill_ellipse(o.x, o.y - 112 * sc, 11 * sc, 11 * sc, painted(200, 30, 30, kPoleSign, 0, o.x, o.y, 3.0 / sc));
          fill_ellipse(o.x, o.y - 112 * sc, 7.5 * sc, 7.5 * sc,
                       painted(240, 240, 240, kPoleSign, 0, o.x, o.y, 3.0 / sc));
        } else {
          Paint sign = painted(o.variant == 1 ? 30 : 20, o.variant == 1 ? 70 : 120, o.variant == 1 ? 170 : 50,
                               kPoleSign, 0, o.x, o.y, 3.0 / sc);
          fill_rect(o.x - 14 * sc, o.y - 128 * sc, o.x + 14 * sc, o.y - 106 * sc, sign);
        }
        break;
      }
      case Kind::kPerson: {
        uint16_t s = new_slot(o, kPerson);
        double h = 86 * sc, swing = std::sin(o.phase) * 0.09 * h;
        Paint legs = painted(o.r2, o.g2, o.b2, kPerson, s, o.x, o.y, 4.0 / sc);
        fill_rect(o.x - 0.11 * h + swing, o.y - 0.47 * h, o.x - 0.01 * h + swing, o.y, legs);
        fill_rect(o.x + 0.01 * h - swing, o.y - 0.47 * h, o.x + 0.11 * h - swing, o.y, legs);
        Paint shirt = painted(o.r, o.g, o.b, kPerson, s, o.x, o.y, 4.0 / sc);
        fill_rect(o.x - 0.14 * h, o.y - 0.82 * h, o.x + 0.14 * h, o.y - 0.45 * h, shirt);
        fill_rect(o.x - 0.19 * h - swing * 0.5, o.y - 0.80 * h, o.x - 0.13 * h - swing * 0.5, o.y - 0.52 * h, shirt);
        fill_rect(o.x + 0.13 * h + swing * 0.5, o.y - 0.80 * h, o.x + 0.19 * h + swing * 0.5, o.y - 0.52 * h, shirt);
        static const uint8_t skins[][3] = {{230, 190, 160}, {190, 140, 100}, {120, 80, 55}, {250, 215, 190}};
        const uint8_t* sk = skins[o.variant % 4];
        fill_ellipse(o.x, o.y - 0.9 * h, 0.085 * h, 0.1 * h,
                     painted(sk[0], sk[1], sk[2], kPerson, s, o.x, o.y, 4.0 / sc));
        if (o.variant % 3 == 0)  // hair / hat
          fill_ellipse(o.x, o.y - 0.95 * h, 0.08 * h, 0.05 * h, painted(40, 30, 25, kPerson, s, o.x, o.y, 4.0 / sc));
        break;
      }
      default: {  // vehicles
        uint16_t s = new_slot(o, kVehicle);
        double L = 110, Hh = 42;
        if (o.kind == Kind::kVan) {
          L = 130;
          Hh = 58;
        }
        if (o.kind == Kind::kBus) {
          L = 230;
          Hh = 80;
        }
        if (o.kind == Kind::kMotorbike) {
          L = 45;
          Hh = 38;
        }
        L *= sc;
        Hh *= sc;
        double dir = o.speed >= 0 ? 1 : -1, x0 = o.x - L / 2, x1 = o.x + L / 2, y = o.y;
        Paint body = painted(o.r, o.g, o.b, kVehicle, s, o.x, o.y, 3.0 / sc);
        Paint glass = painted(45, 60, 80, kVehicle, s, o.x, o.y, 3.0 / sc);
        Paint dark = painted(25, 25, 28, kVehicle, s, o.x, o.y, 3.0 / sc);
        if (o.kind == Kind::kMotorbike) {
          fill_ellipse(x0 + 0.2 * L, y - 0.17 * Hh, 0.17 * Hh, 0.17 * Hh, dark);
          fill_ellipse(x1 - 0.2 * L, y - 0.17 * Hh, 0.17 * Hh, 0.17 * Hh, dark);
          fill_rect(x0 + 0.15 * L, y - 0.5 * Hh, x1 - 0.15 * L, y - 0.25 * Hh, body);
          Paint rider = painted(40, 40, 45, kVehicle, s, o.x, o.y, 3.0 / sc);
          fill_rect(o.x - 0.12 * L, y - 1.05 * Hh, o.x + 0.12 * L, y - 0.45 * Hh, rider);
          fill_ellipse(o.x, y - 1.1 * Hh, 0.1 * Hh, 0.12 * Hh, body);
          break;
        }
        fill_rect(x0, y - 0.72 * Hh, x1, y - 0.16 * Hh, body);
        double c0 = o.kind == Kind::kCar ? x0 + (dir > 0 ? 0.22 : 0.3) * L : x0 + 0.04 * L;
        double c1 = o.kind == Kind::kCar ? x1 - (dir > 0 ? 0.3 : 0.22) * L : x1 - 0.04 * L;
        fill_rect(c0, y - Hh, c1, y - 0.7 * Hh, body);
        // Windows: one strip for cars, a row of panes for vans and buses.
        int panes = o.kind == Kind::kCar ? 2 : o.kind == Kind::kVan ? 3 : 7;
        double pw = (c1 - c0 - 0.04 * L) / panes;
        for (int i = 0; i < panes; ++i)
          fill_rect(c0 + 0.02 * L + i * pw + 0.08 * pw, y - 0.95 * Hh, c0 + 0.02 * L + (i + 1) * pw - 0.08 * pw,
                    y - 0.74 * Hh, glass);
        fill_ellipse(x0 + 0.2 * L, y - 0.17 * Hh, 0.17 * Hh, 0.17 * Hh, dark);
        fill_ellipse(x1 - 0.2 * L, y - 0.17 * Hh, 0.17 * Hh, 0.17 * Hh, dark);
        // Lights: headlights in front, tail lights behind; emissive at night.
        Paint head = painted(250, 245, 220, kVehicle, s, o.x, o.y, 1.0);
        Paint tail = painted(230, 30, 30, kVehicle, s, o.x, o.y, 1.0);
        head.emissive = tail.emissive = pre.night;
        double front = dir > 0 ? x1 - 0.05 * L : x0, back = dir > 0 ? x0 : x1 - 0.05 * L;
        fill_rect(front, y - 0.6 * Hh, front + 0.05 * L, y - 0.48 * Hh, head);
        fill_rect(back, y - 0.6 * Hh, back + 0.05 * L, y - 0.48 * Hh, tail);
        break;
      }
    }
  }

  // Also accumulates the visible extent of every instance slot (for the boxes).
  std::vector<int> bx0, by0, bx1, by1;
  std::vector<int64_t> barea;
  void finish_pixels() {
    size_t slots = slot_track.size();
    bx0.assign(slots, W);
    by0.assign(slots, H);
    bx1.assign(slots, -1);
    by1.assign(slots, -1);
    barea.assign(slots, 0);
    // Lighting (global gain with passing clouds, slight colour drift), then sensor noise.
    double gain = pre.light * cloud_shadow * (1.0 + 0.06 * std::sin(2 * kPi * t / 23.0));
    double warm = 0.04 * std::sin(2 * kPi * t / 41.0);
    int gr = static_cast<int>(256 * gain * (1 + warm)), gg = static_cast<int>(256 * gain),
        gb = static_cast<int>(256 * gain * (1 - warm));
    size_t n = static_cast<size_t>(W) * H, off = rng.next() % (1 << 18);
    const int8_t* nz = noise.data() + off;
    for (size_t i = 0; i < n; ++i) {
      if (uint16_t sl = slot[i]) {
        int u = static_cast<int>(i % W), v = static_cast<int>(i / W);
        ++barea[sl];
        bx0[sl] = std::min(bx0[sl], u);
        bx1[sl] = std::max(bx1[sl], u);
        by0[sl] = std::min(by0[sl], v);
        by1[sl] = std::max(by1[sl], v);
      }
      uint8_t* p = &rgb[i * 3];
      int r = p[0], g = p[1], b = p[2];
      if (!emissive[i]) {
        r = r * gr >> 8;
        g = g * gg >> 8;
        b = b * gb >> 8;
      }
      p[0] = static_cast<uint8_t>(std::clamp(r + nz[i * 3], 0, 255));
      p[1] = static_cast<uint8_t>(std::clamp(g + nz[i * 3 + 1], 0, 255));
      p[2] = static_cast<uint8_t>(std::clamp(b + nz[i * 3 + 2], 0, 255));
    }
  }

  void render(video::Frame* out, video::Frame* labels, std::vector<ObjectBox>* boxes) {
    simulate(true);
    ++frame;
    slot_track.assign(1, 0);
    slot_class.assign(1, 0);
    drawn.assign(1, 0);
    render_background();
    // Painter's order: far (small ground y) first, so nearer things occlude farther ones.
    std::vector<const Object*> order;
    double half_view = W / 2.0 / px_per_unit / zoom + 140;
    for (const auto& o : statics)
      if (std::abs(o.x - cam_x) < half_view) order.push_back(&o);
    for (const auto& o : movers) order.push_back(&o);
    std::stable_sort(order.begin(), order.end(), [](const Object* a, const Object* b) { return a->y < b->y; });
    for (const Object* o : order) {
      if (slot_track.size() >= 65535) break;
      draw(*o);
    }
    finish_pixels();

    out->allocate(W, H, video::PixelFormat::kRgb24);
    std::memcpy(out->plane(0), rgb.data(), rgb.size());
    out->index = frame;
    out->time_s = frame * dt;
    labels->allocate(W, H, video::PixelFormat::kGray8);
    std::memcpy(labels->plane(0), label.data(), label.size());
    labels->index = frame;
    labels->time_s = out->time_s;

    // Visible boxes from the instance buffer (extents gathered in finish_pixels).
    boxes->clear();
    for (size_t s = 1; s < slot_track.size(); ++s) {
      if (barea[s] == 0) continue;
      boxes->push_back({slot_track[s], slot_class[s], bx0[s], by0[s], bx1[s] - bx0[s] + 1, by1[s] - by0[s] + 1,
                        barea[s], std::min(1.0, static_cast<double>(barea[s]) / std::max<int64_t>(1, drawn[s]))});
    }
  }
};

SceneRenderer::SceneRenderer(const SceneOptions& options) {
  options.check();
  impl_ = std::make_unique<Impl>(options);
}
SceneRenderer::~SceneRenderer() = default;

void SceneRenderer::render(video::Frame* rgb, video::Frame* labels, std::vector<ObjectBox>* boxes) {
  impl_->render(rgb, labels, boxes);
}
int64_t SceneRenderer::frame_index() const { return impl_->frame; }
double SceneRenderer::activity() const { return impl_->activity; }

}  // namespace vssoff::synth
