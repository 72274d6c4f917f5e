// Image border modes (border_source) and the BorderExchange that fills ghosts across ranks.
#include "tessera/grid/border.hpp"

#include "tessera/core/error.hpp"

namespace tessera::grid {

BorderMode parse_border_mode(const std::string& name) {
    if (name == "reflect101") return BorderMode::reflect101;
    if (name == "reflect") return BorderMode::reflect;
    if (name == "replicate") return BorderMode::replicate;
    if (name == "constant") return BorderMode::constant;
    if (name == "wrap") return BorderMode::wrap;
    TESSERA_CHECK(false, "unknown border mode '" << name
                                                 << "' (reflect101, reflect, replicate, constant or wrap)");
    return BorderMode::reflect101;
}

const char* to_string(BorderMode mode) noexcept {
    switch (mode) {
        case BorderMode::reflect101: return "reflect101";
        case BorderMode::reflect: return "reflect";
        case BorderMode::replicate: return "replicate";
        case BorderMode::constant: return "constant";
        case BorderMode::wrap: return "wrap";
    }
    return "?";
}

gindex_t border_source(gindex_t g, gindex_t n, BorderMode mode) noexcept {
    if (g >= 0 && g < n) return g;
    switch (mode) {
        case BorderMode::constant: return -1;
        case BorderMode::replicate: return g < 0 ? 0 : n - 1;
        case BorderMode::wrap: return ((g % n) + n) % n;
        case BorderMode::reflect:
        case BorderMode::reflect101: {
            if (n == 1) return 0;
            // Reflection is periodic with period 2n (reflect) or 2n - 2 (reflect101).
            const gindex_t delta = mode == BorderMode::reflect101 ? 1 : 0;
            const gindex_t period = 2 * n - 2 * delta;
            gindex_t p = ((g % period) + period) % period;
            if (p >= n) p = period - p - (1 - delta);
            return p;
        }
    }
    return -1;
}

}  // namespace tessera::grid
