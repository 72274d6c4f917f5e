#include <gtest/gtest.h>
TEST(Filters, Placeholder) {}
