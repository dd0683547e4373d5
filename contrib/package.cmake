# CPack: the Debian package of agentlog (everything `cmake --install` puts
# in place: agentlogd, agentlogctl, agentlog-pgwriter, libagentlog and its
# header, the Kafka reader module, systemd units, man pages, completions,
# hooks, documents).
#
#   cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr -DAGENTLOG_TESTS=OFF
#   cmake --build build-deb -j && (cd build-deb && cpack -G DEB)
#
# Configure with the prefix /usr, as a distribution would: the install
# directories (Debian's multiarch libdir, zsh's vendor-completions) follow
# the prefix.  Depends: is computed from the binaries (dpkg-shlibdeps).

set(CPACK_PACKAGE_NAME agentlog)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "agentlog")
set(CPACK_PACKAGE_CONTACT "agentlog maintainers <maintainers@agentlog.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "logging sidecar for AI agents: a local journal and Kafka forwarding")
set(CPACK_PACKAGE_DESCRIPTION
    "agentlogd accepts agent events (newline-delimited JSON) on a Unix socket,
validates them, journals them to disk and forwards them to Kafka, so that
publishing is a sub-millisecond socket write that never breaks the agent.
agentlogctl sends events (the four seed skills, Claude Code hooks), traces
and replays workflows; agentlog-pgwriter stores the events in PostgreSQL.")
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql, zsh, bash-completion")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/package/postinst
    ${CMAKE_CURRENT_LIST_DIR}/package/prerm
    ${CMAKE_CURRENT_LIST_DIR}/package/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
