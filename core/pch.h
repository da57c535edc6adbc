// Precompiled header for the LibTorch targets (CMake target_precompile_headers). Source files
// still include what they use; this only makes the heavy LibTorch headers compile once.
#pragma once
#include <torch/torch.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>
