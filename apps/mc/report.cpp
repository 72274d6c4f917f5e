// Reporting shared by tessera-mc's subcommands: estimates, convergence tables, summary.json.
#include <cmath>
#include <cstdio>

#include "mc.hpp"

namespace mc {

using tessera::montecarlo::ConvergenceRow;
using tessera::montecarlo::Estimate;

namespace {
std::string format(const char* fmt, auto... args) {
    char buf[256];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}
}  // namespace

void print_estimate(const std::string& label, const Estimate& e, std::optional<double> reference) {
    tessera::log::info(format("%s: %.10g +- %.3g (95%% CI [%.10g, %.10g])", label.c_str(), e.value,
                              e.std_error, e.ci_low, e.ci_high));
    if (reference)
        tessera::log::info(format("  reference %.10g, distance %.2f standard errors", *reference,
                                  e.distance(*reference)));
}

void print_convergence(const std::vector<ConvergenceRow>& rows) {
    tessera::log::info("convergence:      samples        estimate     std error   error*sqrt(N)");
    for (const auto& r : rows)
        tessera::log::info(format("  %20lld  %14.8g  %12.4g  %14.4g", static_cast<long long>(r.samples),
                                  r.estimate.value, r.estimate.std_error,
                                  r.estimate.std_error * std::sqrt(static_cast<double>(r.samples))));
}

nlohmann::json estimate_json(const Estimate& e, std::optional<double> reference) {
    nlohmann::json j;
    j["estimate"] = e.value;
    j["stderr"] = e.std_error;
    j["ci95"] = {e.ci_low, e.ci_high};
    j["samples"] = e.samples;
    j["reference"] = reference ? nlohmann::json(*reference) : nlohmann::json(nullptr);
    j["distance"] = reference ? nlohmann::json(e.distance(*reference)) : nlohmann::json(nullptr);
    return j;
}

nlohmann::json convergence_json(const std::vector<ConvergenceRow>& rows) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& r : rows)
        a.push_back({{"samples", r.samples}, {"estimate", r.estimate.value},
                     {"stderr", r.estimate.std_error}});
    return a;
}

int finish(tessera::Runtime& runtime, const tessera::run::AppOptions& options, const tessera::run::TimeLoop& loop,
           nlohmann::json fields, bool passed, const std::string& verdict) {
    tessera::log::info("check: ", passed ? "passed" : "FAILED", " (", verdict, ")");
    tessera::log::info(tessera::run::timer_table(runtime.world()));
    auto summary = tessera::run::make_summary(runtime, options);
    loop.add_to_summary(summary);
    summary.update(fields);
    summary["passed"] = passed;
    summary["check"] = {{"passed", passed}, {"criterion", verdict}};
    tessera::run::write_json(runtime.world(), options.common().output / "summary.json", summary);
    return passed ? 0 : 1;
}

}  // namespace mc
