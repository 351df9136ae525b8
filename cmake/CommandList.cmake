# A command is three files (docs/add-a-command.md): common/commands/<name>.hpp,
# daemon/control/commands/<name>.cpp and ctl/commands/<name>.cpp. No list names them: each
# folder's build generates its list from the files there, so adding a command edits no list.
# A command missing one of its three files does not compile (the daemon's and supctl's
# std::visit over every command finds no overload for it).

# The files in `dir` matching `pattern`, as stems ("signal_job") and types ("SignalJob"),
# sorted, with `first` (if given) put first.
function(supd_command_names dir pattern first out_stems out_types)
  file(GLOB files CONFIGURE_DEPENDS "${dir}/${pattern}")
  set(stems)
  foreach(f ${files})
    get_filename_component(stem ${f} NAME_WE)
    list(APPEND stems ${stem})
  endforeach()
  list(SORT stems)
  if(first AND "${first}" IN_LIST stems)
    list(REMOVE_ITEM stems ${first})
    list(PREPEND stems ${first})
  endif()
  set(types)
  foreach(stem ${stems})
    string(REPLACE "_" ";" words ${stem})
    set(type "")
    foreach(word ${words})
      string(SUBSTRING ${word} 0 1 head)
      string(SUBSTRING ${word} 1 -1 tail)
      string(TOUPPER ${head} head)
      string(APPEND type ${head}${tail})
    endforeach()
    list(APPEND types ${type})
  endforeach()
  set(${out_stems} ${stems} PARENT_SCOPE)
  set(${out_types} ${types} PARENT_SCOPE)
endfunction()

# Writes `out` from `template` (configure_file, @ONLY) after setting, for each file of
# `dir`/`pattern`: SUPD_COMMAND_LINES, one `line` per command with @stem@ and @type@
# replaced, and SUPD_COMMAND_TYPES, the types comma-separated.
function(supd_command_list template out dir pattern first line)
  supd_command_names(${dir} ${pattern} "${first}" stems types)
  set(SUPD_COMMAND_LINES "")
  set(SUPD_COMMAND_TYPES "")
  foreach(stem type IN ZIP_LISTS stems types)
    string(REPLACE "@stem@" ${stem} one "${line}")
    string(REPLACE "@type@" ${type} one "${one}")
    string(APPEND SUPD_COMMAND_LINES "${one}\n")
    if(SUPD_COMMAND_TYPES)
      string(APPEND SUPD_COMMAND_TYPES ", ")
    endif()
    string(APPEND SUPD_COMMAND_TYPES ${type})
  endforeach()
  configure_file(${template} ${out} @ONLY)
endfunction()

# The daemon's list: one serve() declaration per daemon/control/commands/<name>.cpp (used by
# daemon/ and by the fuzz tree's control-server harness). Sets SUPD_COMMAND_SERVE_SOURCES.
function(supd_daemon_command_handlers)
  set(dir ${PROJECT_SOURCE_DIR}/daemon/control)
  supd_command_list(${dir}/command_handlers.hpp.in ${PROJECT_BINARY_DIR}/generated/daemon/control/command_handlers.hpp
                    ${dir}/commands "*.cpp" ""
                    "protocol::Response serve(const protocol::@type@& command, Call& call);  // commands/@stem@.cpp")
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/commands/*.cpp)
  set(SUPD_COMMAND_SERVE_SOURCES ${sources} PARENT_SCOPE)
endfunction()
