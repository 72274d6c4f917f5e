// Image filter stages: parsing, canonical text, validation, OpenCV's Gaussian kernel rules and
// the workspace; the kernels themselves live in filters_kernels.cpp.
#include "tessera/stencil/filters.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <type_traits>

#include "filters_impl.hpp"
#include "tessera/core/error.hpp"

namespace tessera::stencil {

namespace {

const char* kind_name(FilterKind k) {
    switch (k) {
        case FilterKind::gaussian: return "gaussian";
        case FilterKind::box: return "box";
        case FilterKind::sobel: return "sobel";
        case FilterKind::laplacian: return "laplacian";
        case FilterKind::unsharp: return "unsharp";
        case FilterKind::median: return "median";
        case FilterKind::kernel: return "kernel";
    }
    return "?";
}

const char* sobel_name(SobelOutput s) {
    switch (s) {
        case SobelOutput::dx: return "dx";
        case SobelOutput::dy: return "dy";
        case SobelOutput::magnitude: return "magnitude";
    }
    return "?";
}

// Shortest text that reads back as the same double.
std::string num(double v) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

double parse_double(const std::string& stage, const std::string& key, const std::string& text) {
    const std::string t = trim(text);
    double v = 0;
    const char* end = t.data() + t.size();
    auto res = std::from_chars(t.data(), end, v);
    TESSERA_CHECK(!t.empty() && res.ec == std::errc() && res.ptr == end && std::isfinite(v),
                  stage << ": " << key << " = '" << text << "' is not a finite number");
    return v;
}

int parse_int(const std::string& stage, const std::string& key, const std::string& text) {
    const std::string t = trim(text);
    int v = 0;
    const char* end = t.data() + t.size();
    auto res = std::from_chars(t.data(), end, v);
    TESSERA_CHECK(!t.empty() && res.ec == std::errc() && res.ptr == end,
                  stage << ": " << key << " = '" << text << "' is not an integer");
    return v;
}

}  // namespace

FilterSpec parse_filter(const std::string& text, const FilterDefaults& defaults) {
    const auto colon = text.find(':');
    const std::string name = trim(text.substr(0, colon));
    const std::string rest = colon == std::string::npos ? std::string() : text.substr(colon + 1);
    FilterSpec spec;
    if (name == "gaussian") spec.kind = FilterKind::gaussian;
    else if (name == "box") spec.kind = FilterKind::box;
    else if (name == "sobel") spec.kind = FilterKind::sobel;
    else if (name == "laplacian") spec.kind = FilterKind::laplacian;
    else if (name == "unsharp") spec.kind = FilterKind::unsharp;
    else if (name == "median") spec.kind = FilterKind::median;
    else if (name == "kernel") spec.kind = FilterKind::kernel;
    else
        TESSERA_CHECK(false, "unknown filter '" << name
                                                << "' (gaussian, box, sobel, laplacian, unsharp, median, kernel)");
    spec.sigma = defaults.sigma;
    spec.radius = (spec.kind == FilterKind::box || spec.kind == FilterKind::median) ? defaults.radius : 0;
    if (spec.kind == FilterKind::laplacian) spec.ksize = 1;

    if (spec.kind == FilterKind::kernel) {
        // The weights may hold ',' themselves: the one key takes the rest of the text.
        // A bare "kernel" leaves the weights to the caller (parse_kernel_weights, e.g. from a file).
        const std::string r = trim(rest);
        if (r.empty()) return spec;
        TESSERA_CHECK(r.rfind("values=", 0) == 0, "kernel: expected 'kernel:values=...' (rows separated by ';')");
        parse_kernel_weights(r.substr(7), spec);
        validate(spec);
        return spec;
    }
    std::stringstream items(rest);
    std::string item;
    while (std::getline(items, item, ',')) {
        if (trim(item).empty()) continue;
        const auto eq = item.find('=');
        const std::string key = trim(item.substr(0, eq));
        TESSERA_CHECK(eq != std::string::npos, name << ": expected key=value, got '" << item << "'");
        const std::string value = item.substr(eq + 1);
        bool known = true;
        switch (spec.kind) {
            case FilterKind::gaussian:
                if (key == "sigma") spec.sigma = parse_double(name, key, value);
                else if (key == "radius") spec.radius = parse_int(name, key, value);
                else known = false;
                break;
            case FilterKind::box:
            case FilterKind::median:
                if (key == "radius") spec.radius = parse_int(name, key, value);
                else known = false;
                break;
            case FilterKind::sobel:
                if (key == "output") {
                    const std::string v = trim(value);
                    if (v == "dx") spec.sobel = SobelOutput::dx;
                    else if (v == "dy") spec.sobel = SobelOutput::dy;
                    else if (v == "magnitude") spec.sobel = SobelOutput::magnitude;
                    else TESSERA_CHECK(false, "sobel: output = '" << v << "' (supported: dx, dy, magnitude)");
                } else if (key == "ksize") spec.ksize = parse_int(name, key, value);
                else if (key == "scale") spec.scale = parse_double(name, key, value);
                else known = false;
                break;
            case FilterKind::laplacian:
                if (key == "ksize") spec.ksize = parse_int(name, key, value);
                else if (key == "scale") spec.scale = parse_double(name, key, value);
                else known = false;
                break;
            case FilterKind::unsharp:
                if (key == "sigma") spec.sigma = parse_double(name, key, value);
                else if (key == "radius") spec.radius = parse_int(name, key, value);
                else if (key == "amount") spec.amount = parse_double(name, key, value);
                else known = false;
                break;
            case FilterKind::kernel: break;
        }
        if (!known) {
            const char* keys = spec.kind == FilterKind::gaussian ? "sigma, radius"
                               : spec.kind == FilterKind::sobel   ? "output, ksize, scale"
                               : spec.kind == FilterKind::laplacian ? "ksize, scale"
                               : spec.kind == FilterKind::unsharp   ? "sigma, radius, amount"
                                                                    : "radius";
            TESSERA_CHECK(false, name << ": unknown parameter '" << key << "' (" << keys << ")");
        }
    }
    validate(spec);
    return spec;
}

std::string to_string(const FilterSpec& s) {
    std::string t = kind_name(s.kind);
    switch (s.kind) {
        case FilterKind::gaussian: return t + ":sigma=" + num(s.sigma) + ",radius=" + std::to_string(s.radius);
        case FilterKind::box:
        case FilterKind::median: return t + ":radius=" + std::to_string(s.radius);
        case FilterKind::sobel:
            return t + ":output=" + sobel_name(s.sobel) + ",ksize=" + std::to_string(s.ksize) + ",scale=" + num(s.scale);
        case FilterKind::laplacian: return t + ":ksize=" + std::to_string(s.ksize) + ",scale=" + num(s.scale);
        case FilterKind::unsharp:
            return t + ":sigma=" + num(s.sigma) + ",radius=" + std::to_string(s.radius) + ",amount=" + num(s.amount);
        case FilterKind::kernel: {
            t += ":values=";
            for (int y = 0; y < s.kernel_height; ++y) {
                if (y) t += ';';
                for (int x = 0; x < s.kernel_width; ++x) {
                    if (x) t += ' ';
                    t += num(s.kernel[static_cast<std::size_t>(y) * s.kernel_width + x]);
                }
            }
            return t;
        }
    }
    return t;
}

std::string describe_filters() {
    return "gaussian:sigma=S,radius=R   Gaussian blur (cv2.GaussianBlur; radius 0 = from sigma)\n"
           "box:radius=R                normalized (2R+1) x (2R+1) mean (cv2.blur), 1 <= R <= 64\n"
           "sobel:output=dx|dy|magnitude,ksize=3|5,scale=F   Sobel derivative or gradient magnitude\n"
           "laplacian:ksize=1|3,scale=F  Laplacian (cv2.Laplacian)\n"
           "unsharp:sigma=S,radius=R,amount=A   in + A * (in - gaussian(in))\n"
           "median:radius=1|2           3x3 or 5x5 median (cv2.medianBlur)\n"
           "kernel:values=a b c;d e f;g h i   correlation with odd-sided weights, at most 31 x 31 "
           "(cv2.filter2D)\n";
}

void parse_kernel_weights(const std::string& text, FilterSpec& spec) {
    std::vector<std::vector<float>> rows;
    std::string row;
    std::string normalized = text;
    for (char& c : normalized)
        if (c == '\n') c = ';';
    std::stringstream rs(normalized);
    while (std::getline(rs, row, ';')) {
        for (char& c : row)
            if (c == ',' || c == '\t' || c == '\r') c = ' ';
        std::stringstream es(row);
        std::string entry;
        std::vector<float> values;
        while (es >> entry) {
            double v = 0;
            auto res = std::from_chars(entry.data(), entry.data() + entry.size(), v);
            TESSERA_CHECK(res.ec == std::errc() && res.ptr == entry.data() + entry.size() && std::isfinite(v) &&
                              std::isfinite(static_cast<float>(v)),
                          "kernel: weight '" << entry << "' in row " << rows.size() + 1 << " is not a finite number");
            values.push_back(static_cast<float>(v));
        }
        if (values.empty() && trim(row).empty()) continue;  // blank line or trailing ';'
        if (!rows.empty())
            TESSERA_CHECK(values.size() == rows[0].size(), "kernel: row " << rows.size() + 1 << " has " << values.size()
                                                                           << " weights, row 1 has " << rows[0].size());
        rows.push_back(std::move(values));
    }
    TESSERA_CHECK(!rows.empty(), "kernel: no weights");
    const int w = static_cast<int>(rows[0].size()), h = static_cast<int>(rows.size());
    TESSERA_CHECK(w % 2 == 1 && h % 2 == 1, "kernel: " << w << " x " << h << " weights: sides must be odd");
    TESSERA_CHECK(w <= max_kernel_side && h <= max_kernel_side,
                  "kernel: " << w << " x " << h << " is larger than " << max_kernel_side << " x " << max_kernel_side);
    spec.kernel.clear();
    for (const auto& r : rows) spec.kernel.insert(spec.kernel.end(), r.begin(), r.end());
    spec.kernel_width = w;
    spec.kernel_height = h;
}

void validate(const FilterSpec& s) {
    const char* name = kind_name(s.kind);
    switch (s.kind) {
        case FilterKind::unsharp:
            TESSERA_CHECK(std::isfinite(s.amount) && s.amount >= 0, name << ": amount = " << s.amount << " must be >= 0");
            [[fallthrough]];
        case FilterKind::gaussian:
            TESSERA_CHECK(std::isfinite(s.sigma) && s.sigma > 0, name << ": sigma = " << s.sigma << " must be > 0");
            TESSERA_CHECK(s.sigma <= max_gaussian_sigma,
                          name << ": sigma = " << s.sigma << " must be <= " << max_gaussian_sigma);
            TESSERA_CHECK(s.radius >= 0 && s.radius <= max_gaussian_radius,
                          name << ": radius = " << s.radius << " must be in [0, " << max_gaussian_radius
                               << "] (0: from sigma)");
            break;
        case FilterKind::box:
            TESSERA_CHECK(s.radius >= 1 && s.radius <= max_box_radius,
                          name << ": radius = " << s.radius << " must be in [1, " << max_box_radius << "]");
            break;
        case FilterKind::median:
            TESSERA_CHECK(s.radius == 1 || s.radius == 2, name << ": radius = " << s.radius << " (supported: 1, 2)");
            break;
        case FilterKind::sobel:
            TESSERA_CHECK(s.ksize == 3 || s.ksize == 5, name << ": ksize = " << s.ksize << " (supported: 3, 5)");
            TESSERA_CHECK(std::isfinite(s.scale) && s.scale > 0, name << ": scale = " << s.scale << " must be > 0");
            break;
        case FilterKind::laplacian:
            TESSERA_CHECK(s.ksize == 1 || s.ksize == 3, name << ": ksize = " << s.ksize << " (supported: 1, 3)");
            TESSERA_CHECK(std::isfinite(s.scale) && s.scale > 0, name << ": scale = " << s.scale << " must be > 0");
            break;
        case FilterKind::kernel: {
            const int w = s.kernel_width, h = s.kernel_height;
            TESSERA_CHECK(!s.kernel.empty(), "kernel: no weights (give values=...)");
            TESSERA_CHECK(w >= 1 && h >= 1 && w % 2 == 1 && h % 2 == 1,
                          "kernel: " << w << " x " << h << " weights: sides must be odd");
            TESSERA_CHECK(w <= max_kernel_side && h <= max_kernel_side,
                          "kernel: " << w << " x " << h << " is larger than " << max_kernel_side << " x "
                                     << max_kernel_side);
            TESSERA_CHECK(s.kernel.size() == static_cast<std::size_t>(w) * h,
                          "kernel: " << s.kernel.size() << " weights for " << w << " x " << h);
            for (float v : s.kernel) TESSERA_CHECK(std::isfinite(v), "kernel: weight " << v << " is not finite");
            break;
        }
    }
}

int gaussian_ksize(double sigma, bool eight_bit) {
    return static_cast<int>(std::nearbyint(sigma * (eight_bit ? 3 : 4) * 2 + 1)) | 1;
}

std::vector<double> gaussian_kernel(int ksize, double sigma) {
    TESSERA_CHECK(ksize >= 1 && ksize % 2 == 1 && sigma > 0,
                  "gaussian_kernel: ksize = " << ksize << " must be odd and sigma = " << sigma << " > 0");
    // getGaussianKernelBitExact: exp(-x^2 / (8 sigma^2)) at x = 2i - (n - 1), centre exactly 1.
    const int n = ksize, h = (n - 1) / 2;
    const double scale2 = -0.125 / (sigma * sigma);
    std::vector<double> t(static_cast<std::size_t>(h));
    double sum = 0;
    for (int i = 0, x = 1 - n; i < h; ++i, x += 2) {
        t[static_cast<std::size_t>(i)] = std::exp(static_cast<double>(x * x) * scale2);
        sum += t[static_cast<std::size_t>(i)];
    }
    sum = sum * 2 + 1;
    const double mul = 1 / sum;
    std::vector<double> k(static_cast<std::size_t>(n), mul);
    for (int i = 0; i < h; ++i) k[static_cast<std::size_t>(i)] = k[static_cast<std::size_t>(n - 1 - i)] = t[static_cast<std::size_t>(i)] * mul;
    return k;
}

std::vector<std::uint32_t> gaussian_kernel_fixed(int ksize, double sigma, int fraction_bits) {
    // getGaussianKernelFixedPoint_ED: error diffusion from the outside in, mirrored, and the
    // centre takes what is left so the weights sum to exactly 1 << fraction_bits.
    const std::vector<double> k = gaussian_kernel(ksize, sigma);
    const int n = ksize;
    const double mul = static_cast<double>(std::uint64_t{1} << fraction_bits);
    std::vector<std::uint32_t> v(static_cast<std::size_t>(n));
    double err = 0;
    std::int64_t total = 0;
    for (int i = 0; i < n / 2; ++i) {
        const double adj = k[static_cast<std::size_t>(i)] * mul + err;
        const std::int64_t r = std::llrint(adj);
        err = adj - static_cast<double>(r);
        v[static_cast<std::size_t>(i)] = v[static_cast<std::size_t>(n - 1 - i)] = static_cast<std::uint32_t>(r);
        total += 2 * r;
    }
    v[static_cast<std::size_t>(n / 2)] = static_cast<std::uint32_t>((std::int64_t{1} << fraction_bits) - total);
    return v;
}

template <class T>
int filter_radius(const FilterSpec& s) {
    switch (s.kind) {
        case FilterKind::gaussian:
        case FilterKind::unsharp:
            return s.radius > 0 ? s.radius : gaussian_ksize(s.sigma, std::is_same_v<T, std::uint8_t>) / 2;
        case FilterKind::box:
        case FilterKind::median: return s.radius;
        case FilterKind::sobel: return s.ksize / 2;
        case FilterKind::laplacian: return 1;
        case FilterKind::kernel: return std::max(s.kernel_width, s.kernel_height) / 2;
    }
    return 0;
}

template <class T>
double filter_bytes_per_pixel(const FilterSpec&) {
    return 3.0 * sizeof(T);  // read in, write out, write-allocate read of out
}

FilterWorkspace::FilterWorkspace() : impl_(std::make_unique<Impl>()) {}
FilterWorkspace::~FilterWorkspace() = default;
FilterWorkspace::FilterWorkspace(FilterWorkspace&&) noexcept = default;
FilterWorkspace& FilterWorkspace::operator=(FilterWorkspace&&) noexcept = default;

#define TESSERA_FILTER_INST(T)                                   \
    template int filter_radius<T>(const FilterSpec&);            \
    template double filter_bytes_per_pixel<T>(const FilterSpec&);
TESSERA_FILTER_INST(std::uint8_t)
TESSERA_FILTER_INST(std::uint16_t)
TESSERA_FILTER_INST(float)
#undef TESSERA_FILTER_INST

}  // namespace tessera::stencil
