#pragma once
// A calendar date as whole days since 1970-01-01 (proleptic Gregorian), the unit every
// time axis in trustmix is built on. Parsing accepts ISO "YYYY-MM-DD" only.
#include <chrono>
#include <compare>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>

#include "trustmix/core/error.hpp"

namespace trustmix {

struct Date {
  int days = 0;  ///< days since 1970-01-01

  constexpr Date() = default;
  constexpr explicit Date(int days_since_epoch) : days(days_since_epoch) {}

  /// From year, month (1-12) and day (1-31); invalid dates throw with the values.
  static Date from_ymd(int year, int month, int day) {
    using namespace std::chrono;
    const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                             std::chrono::day{static_cast<unsigned>(day)}};
    if (month < 1 || month > 12 || day < 1 || day > 31 || !ymd.ok())
      fail("invalid calendar date ", year, "-", month, "-", day);
    return Date{static_cast<int>(sys_days{ymd}.time_since_epoch().count())};
  }

  /// Parses "YYYY-MM-DD"; `field` names the input in the error message.
  static Date parse(std::string_view text, std::string_view field = "date") {
    int y = 0, m = 0, d = 0;
    const bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-';
    auto digits = [&](std::size_t from, std::size_t len, int& out) {
      out = 0;
      for (std::size_t i = from; i < from + len; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + (text[i] - '0');
      }
      return true;
    };
    if (!shape || !digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d))
      fail(field, " must be an ISO date YYYY-MM-DD, got '", text, "'");
    return from_ymd(y, m, d);
  }

  [[nodiscard]] std::chrono::year_month_day ymd() const {
    return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{days}}};
  }
  [[nodiscard]] int year() const { return static_cast<int>(ymd().year()); }
  [[nodiscard]] int month() const { return static_cast<int>(static_cast<unsigned>(ymd().month())); }
  [[nodiscard]] int day() const { return static_cast<int>(static_cast<unsigned>(ymd().day())); }

  [[nodiscard]] std::string iso() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year(), month(), day());
    return buf;
  }

  friend constexpr auto operator<=>(const Date&, const Date&) = default;
  friend constexpr int operator-(Date a, Date b) { return a.days - b.days; }
  friend constexpr Date operator+(Date a, int n) { return Date{a.days + n}; }
  friend std::ostream& operator<<(std::ostream& os, const Date& d) { return os << d.iso(); }
};

}  // namespace trustmix
