// App options: CLI11 plus a toml++-backed reader for --config, agreed over ranks.
#include "tessera/run/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <toml++/toml.h>

#include "tessera/core/log.hpp"
#include "tessera/core/trace.hpp"
#include "tessera/run/progress.hpp"
#include "tessera/core/version.hpp"

namespace tessera::run {

namespace {

// Reads real TOML with toml++ and hands CLI11 one item per key. Keys must name an option of
// the app (or of a subcommand, for keys in a table of that name): anything else is an error
// naming the key, so a typo never silently falls back to a default.
class TomlConfig : public CLI::Config {
public:
    explicit TomlConfig(const CLI::App* app) : app_(app) {}

    std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
        toml::table root;
        try {
            root = toml::parse(input);
        } catch (const toml::parse_error& e) {
            std::ostringstream os;
            os << "config file: line " << e.source().begin.line << ": " << e.description();
            throw CLI::ConfigError(os.str());
        }
        std::vector<CLI::ConfigItem> out;
        walk(root, app_, {}, out);
        return out;
    }

    std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                          std::string prefix) const override {
        return CLI::ConfigTOML().to_config(app, default_also, write_description, prefix);
    }

private:
    static std::string scalar(const toml::node& node, const std::string& key) {
        if (auto s = node.as_string()) return s->get();
        if (auto i = node.as_integer()) return std::to_string(i->get());
        if (auto b = node.as_boolean()) return b->get() ? "true" : "false";
        if (auto f = node.as_floating_point()) {
            std::ostringstream os;
            os.precision(17);
            os << f->get();
            return os.str();
        }
        throw CLI::ConfigError("config key '" + key + "': unsupported value type");
    }

    static const CLI::App* find_subcommand(const CLI::App* app, const std::string& name) {
        if (!app) return nullptr;
        try {
            return app->get_subcommand(name);
        } catch (const CLI::OptionNotFound&) {
            return nullptr;
        }
    }

    static void walk(const toml::table& table, const CLI::App* app,
                     const std::vector<std::string>& parents, std::vector<CLI::ConfigItem>& out) {
        for (const auto& [k, node] : table) {
            const std::string key(k.str());
            std::string full;
            for (const auto& p : parents) full += p + ".";
            full += key;
            if (const auto* sub = node.as_table()) {
                const CLI::App* subapp = find_subcommand(app, key);
                if (!subapp) throw CLI::ConfigError("unknown config section [" + full + "]");
                auto next = parents;
                next.push_back(key);
                walk(*sub, subapp, next, out);
                continue;
            }
            if (!app || key == "config" || !app->get_option_no_throw("--" + key))
                throw CLI::ConfigError("unknown config key '" + full + "'");
            CLI::ConfigItem item;
            item.parents = parents;
            item.name = key;
            if (const auto* arr = node.as_array()) {
                for (const auto& elem : *arr) item.inputs.push_back(scalar(elem, full));
            } else {
                item.inputs.push_back(scalar(node, full));
            }
            out.push_back(std::move(item));
        }
    }

    const CLI::App* app_;
};

}  // namespace

AppOptions::AppOptions(std::string app, std::string description)
    : app_(std::move(app)),
      cli_(std::make_unique<CLI::App>(std::move(description), "tessera-" + app_)) {
    auto& c = *cli_;
    c.option_defaults()->always_capture_default();
    c.set_version_flag(option_flag("version"), [] { return version_report(); });
    c.set_config(option_flag("config"), "", "Read options from a TOML file (same keys as the long options; "
                                 "the command line wins)");
    c.config_formatter(std::make_shared<TomlConfig>(&c));
    c.allow_config_extras(CLI::config_extras_mode::error);
    common_.output = std::filesystem::path("out") / app_;
    c.add_option(option_flag("output"), common_.output, "Directory for every file this run writes");
    c.add_flag(option_flag("overwrite"), common_.overwrite, "Allow writing into a non-empty output directory");
    c.add_flag(option_flag("quiet"), common_.quiet, "Print errors and warnings only");
    c.add_flag(option_flag("verbose"), common_.verbose, "Print extra detail");
    c.add_flag(option_flag("benchmark"), common_.benchmark, "Benchmark mode: measure and report rates");
    c.add_flag(option_flag("progress"), common_.progress, "Print progress even when output is not a terminal");
    c.add_option(option_flag("trace"), common_.trace,
                 "Record timed regions per rank and thread; write DIR/trace.json (Chrome trace events: "
                 "open in ui.perfetto.dev or speedscope) and the OTF2 archive DIR/otf2/traces.otf2 "
                 "(Vampir, otf2-print)");
}

AppOptions::~AppOptions() = default;

void AppOptions::parse(const mpi::Comm& comm, int argc, char** argv) {
    enum class Outcome { run, help, version };
    std::string text;
    const Outcome outcome = collective_call(comm, [&] {
        try {
            cli_->parse(argc, argv);
        } catch (const CLI::CallForHelp&) {
            text = cli_->help();
            return Outcome::help;
        } catch (const CLI::CallForAllHelp&) {
            text = cli_->help("", CLI::AppFormatMode::All);
            return Outcome::help;
        } catch (const CLI::CallForVersion& e) {
            text = e.what();
            return Outcome::version;
        } catch (const CLI::ParseError& e) {
            throw std::runtime_error(e.what());
        }
        return Outcome::run;
    });
    if (outcome != Outcome::run) {
        if (comm.rank() == 0) std::cout << text << (text.ends_with('\n') ? "" : "\n") << std::flush;
        throw ExitRequest{0};
    }
    TESSERA_CHECK_ALL(comm, !(common_.quiet && common_.verbose),
                      option_flag("quiet") << " and " << option_flag("verbose") << " exclude each other");
    if (auto* cfg = cli_->get_config_ptr(); cfg && cfg->count() > 0)
        common_.config_file = cfg->as<std::string>();
    log::set_level(common_.quiet ? log::Level::quiet
                   : common_.verbose ? log::Level::verbose
                                     : log::Level::normal);
    set_progress_mode(common_.quiet ? ProgressMode::never
                      : common_.progress ? ProgressMode::always
                                         : ProgressMode::automatic);
    if (!common_.trace.empty()) {
        const OptionNames names{{"trace folder ", option_flag("trace") + ": "},
                                {"overwrite not allowed", "pass " + option_flag("overwrite") + " to replace it"}};
        translating_errors(names, [&] { check_trace_dir(comm, common_.trace, common_.overwrite); });
        trace::enable(comm);
    }
}

void AppOptions::record(const std::string& key, nlohmann::json value) { recorded_[key] = std::move(value); }

std::string AppOptions::resolved_toml() const {
    // JSON scalars and flat arrays are valid TOML values.
    std::string text;
    const auto all = resolved();
    for (const auto& [key, value] : all.items()) text += key + " = " + value.dump() + "\n";
    return text;
}

nlohmann::json AppOptions::resolved() const {
    nlohmann::json out = nlohmann::json::object();
    std::istringstream in(cli_->config_to_str(/*default_also=*/true, /*write_description=*/false));
    std::string line;
    // CLI11 writes one `key=value` line per option (value in TOML syntax); parse each on its
    // own so that a single odd value cannot hide the others.
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || line[0] == '[' || eq == std::string::npos) continue;
        const std::string key = line.substr(0, eq);
        if (key == "config" || key == "version" || key == "help") continue;
        try {
            const auto t = toml::parse("v=" + line.substr(eq + 1));
            const toml::node& v = *t.get("v");
            auto to_json = [](const toml::node& n) -> nlohmann::json {
                if (auto s = n.as_string()) return s->get();
                if (auto i = n.as_integer()) return i->get();
                if (auto f = n.as_floating_point()) return f->get();
                if (auto b = n.as_boolean()) return b->get();
                return nullptr;
            };
            if (const auto* arr = v.as_array()) {
                nlohmann::json a = nlohmann::json::array();
                for (const auto& e : *arr) a.push_back(to_json(e));
                out[key] = a;
            } else {
                out[key] = to_json(v);
            }
        } catch (const toml::parse_error&) {
            out[key] = line.substr(eq + 1);
        }
    }
    for (const auto& [key, value] : recorded_.items()) out[key] = value;
    return out;
}

void prepare_output_dir(const mpi::Comm& comm, const std::filesystem::path& dir, bool overwrite) {
    namespace fs = std::filesystem;
    collective_call(comm, [&] {
        if (comm.rank() != 0) return;
        std::error_code ec;
        if (fs::exists(dir, ec)) {
            if (!fs::is_directory(dir, ec))
                throw std::runtime_error("output folder " + dir.string() + ": exists and is not a directory");
            if (!overwrite && !fs::is_empty(dir, ec))
                throw std::runtime_error("output folder " + dir.string() +
                                         ": directory exists and is not empty (overwrite not allowed)");
            return;
        }
        fs::create_directories(dir, ec);
        if (ec) throw std::runtime_error("output folder " + dir.string() + ": cannot create: " + ec.message());
    });
}

void check_trace_dir(const mpi::Comm& comm, const std::filesystem::path& dir, bool overwrite) {
    namespace fs = std::filesystem;
    collective_call(comm, [&] {
        if (comm.rank() != 0) return;
        const std::string where = "trace folder " + dir.string();
        std::error_code ec;
        const fs::path file = dir / "trace.json";
        if (fs::exists(dir, ec)) {
            if (!fs::is_directory(dir, ec)) throw std::runtime_error(where + ": exists and is not a directory");
            if (fs::exists(file, ec) && !overwrite)
                throw std::runtime_error(where + ": trace.json exists (overwrite not allowed)");
            // The OTF2 archive folder (io::write_traces replaces it whole under --overwrite).
            if (fs::exists(dir / "otf2", ec) && !overwrite)
                throw std::runtime_error(where + ": otf2 exists (overwrite not allowed)");
        }
        // The nearest folder that exists: every component below it gets created at the end.
        fs::path existing = fs::absolute(dir, ec);
        while (!fs::exists(existing, ec) && existing.has_relative_path()) existing = existing.parent_path();
        if (!fs::is_directory(existing, ec))
            throw std::runtime_error(where + ": " + existing.string() + " exists and is not a directory");
        // Permission bits do not tell (root, read-only mounts): try, and leave nothing behind.
        std::string probe = (existing / ".tessera-trace-probe-XXXXXX").string();
        const int fd = ::mkstemp(probe.data());
        if (fd < 0) throw std::runtime_error(where + ": cannot write in " + existing.string() + ": " + std::strerror(errno));
        ::close(fd);
        ::unlink(probe.c_str());
    });
}

void AppOptions::prepare_output(const mpi::Comm& comm, bool allow_existing) const {
    const OptionNames names{{"output folder", option_flag("output")},
                            {"overwrite not allowed", "pass " + option_flag("overwrite") + " to write into it"}};
    translating_errors(names, [&] { prepare_output_dir(comm, common_.output, common_.overwrite || allow_existing); });
}

std::string option_flag(std::string_view key) { return "-" "-" + std::string(key); }

std::string with_option_names(const OptionNames& names, const std::string& message) {
    // Longest phrase first, so that "heat: dt" wins over "heat: d".
    std::vector<const std::pair<std::string, std::string>*> order;
    for (const auto& n : names) order.push_back(&n);
    std::stable_sort(order.begin(), order.end(), [](auto a, auto b) { return a->first.size() > b->first.size(); });
    std::string out;
    for (std::size_t i = 0; i < message.size();) {
        const auto* hit = [&]() -> const std::pair<std::string, std::string>* {
            for (const auto* n : order)
                if (!n->first.empty() && message.compare(i, n->first.size(), n->first) == 0) return n;
            return nullptr;
        }();
        if (hit) {
            out += hit->second;
            i += hit->first.size();
        } else {
            out += message[i++];
        }
    }
    return out;
}

}  // namespace tessera::run
