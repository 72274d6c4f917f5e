// The task journal: a few lines of text, replaced atomically through io::AtomicFile.
#include "tessera/tasks/journal.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tessera/core/error.hpp"
#include "tessera/io/atomic_file.hpp"

namespace tessera::tasks {

namespace {

constexpr const char* magic = "tessera-task-journal 1";

// Parses "a-b" or "a" into [first, last].
bool parse_range(std::string_view text, gindex_t& first, gindex_t& last) {
    const auto dash = text.find('-');
    const auto number = [](std::string_view s, gindex_t& v) {
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return ec == std::errc() && end == s.data() + s.size() && !s.empty();
    };
    if (dash == std::string_view::npos) {
        if (!number(text, first)) return false;
        last = first;
        return true;
    }
    return number(text.substr(0, dash), first) && number(text.substr(dash + 1), last) &&
           first <= last;
}

}  // namespace

Journal::Journal(gindex_t n_tasks, std::string fingerprint)
    : n_tasks_(n_tasks), fingerprint_(std::move(fingerprint)),
      finished_(static_cast<std::size_t>(n_tasks), false) {
    TESSERA_CHECK(n_tasks >= 0, "Journal: n_tasks = " << n_tasks << " must not be negative");
    TESSERA_CHECK(fingerprint_.find('\n') == std::string::npos,
                  "Journal: the fingerprint must be one line");
}

bool Journal::finished(gindex_t index) const noexcept {
    return index >= 0 && index < n_tasks_ && finished_[static_cast<std::size_t>(index)];
}

void Journal::mark_finished(gindex_t index) {
    TESSERA_CHECK(index >= 0 && index < n_tasks_,
                  "Journal: task " << index << " is not in [0, " << n_tasks_ << ")");
    auto bit = finished_[static_cast<std::size_t>(index)];
    if (!bit) {
        bit = true;
        ++n_finished_;
    }
}

std::string Journal::ranges() const {
    std::ostringstream os;
    bool any = false;
    for (gindex_t i = 0; i < n_tasks_;) {
        if (!finished(i)) {
            ++i;
            continue;
        }
        gindex_t j = i;
        while (j + 1 < n_tasks_ && finished(j + 1)) ++j;
        os << (any ? "," : "") << i;
        if (j > i) os << '-' << j;
        any = true;
        i = j + 1;
    }
    return any ? os.str() : "none";
}

void Journal::mark_ranges(std::string_view text) {
    if (text == "none") return;
    std::size_t start = 0;
    for (;;) {
        const auto comma = text.find(',', start);
        const auto item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
        gindex_t first = 0, last = 0;
        TESSERA_CHECK(parse_range(item, first, last) && last < n_tasks_,
                      "Journal: '" << item << "' is not a range of tasks in [0, " << n_tasks_ << ")");
        for (gindex_t i = first; i <= last; ++i) mark_finished(i);
        if (comma == std::string_view::npos) return;
        start = comma + 1;
    }
}

void Journal::save(const std::filesystem::path& path) const {
    std::ostringstream os;
    os << magic << "\ntasks " << n_tasks_ << "\nfingerprint " << fingerprint_ << "\ndone "
       << ranges() << "\n";
    io::write_file_atomically(path, os.str());
}

Journal Journal::load(const std::filesystem::path& path, gindex_t n_tasks,
                      const std::string& fingerprint) {
    std::ifstream in(path);
    TESSERA_CHECK(in, "task journal " << path.string() << " cannot be read");
    std::string line, tasks_line, print_line, done_line;
    std::getline(in, line);
    std::getline(in, tasks_line);
    std::getline(in, print_line);
    std::getline(in, done_line);
    const auto malformed = [&](const std::string& what) {
        return "task journal " + path.string() + " is not a tessera task journal (" + what + ")";
    };
    TESSERA_CHECK(line == magic, malformed("first line"));
    TESSERA_CHECK(tasks_line.rfind("tasks ", 0) == 0, malformed("tasks line"));
    TESSERA_CHECK(print_line.rfind("fingerprint ", 0) == 0, malformed("fingerprint line"));
    TESSERA_CHECK(done_line.rfind("done ", 0) == 0, malformed("done line"));
    gindex_t stored_tasks = -1;
    const std::string_view count = std::string_view(tasks_line).substr(6);
    const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), stored_tasks);
    TESSERA_CHECK(ec == std::errc() && end == count.data() + count.size(), malformed("tasks line"));
    TESSERA_CHECK(stored_tasks == n_tasks, "task journal " << path.string() << " is for " << stored_tasks
                                          << " tasks, this run has " << n_tasks);
    TESSERA_CHECK(print_line.substr(12) == fingerprint,
                  "task journal " << path.string() << " belongs to another run (its inputs or options differ)");
    Journal journal(n_tasks, fingerprint);
    try {
        journal.mark_ranges(done_line.substr(5));
    } catch (const std::exception&) {
        TESSERA_CHECK(false, malformed("done line"));
    }
    return journal;
}

}  // namespace tessera::tasks
