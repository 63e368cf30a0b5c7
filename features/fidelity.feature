Feature: Snapshot fidelity — rollback gives back exactly what was there, and nothing else

  A checkpoint tool is trusted only if a rollback returns the exact bytes that were on disk
  and never destroys what it was not asked to. Each scenario below is a case where other
  checkpoint tools lost or altered files; savepoint must get every one right.

  Rule: in a repository with commits

  Background:
    Given a git repository
    And the repository has these committed files:
      | path       | content   |
      | .gitignore | *.log\n   |
      | README.md  | # repo\n  |

  Scenario Outline: line endings come back byte for byte under <setting>
    Given the repository has the git config "<key>" set to "<value>"
    And a file "crlf.txt" with the content "one\r\ntwo\r\n"
    And a file "lf.txt" with the content "one\ntwo\n"
    And a file "mixed.txt" with the content "one\r\ntwo\n"
    And an active plan
    And the agent writes "rewritten\n" to "crlf.txt"
    And the agent writes "rewritten\r\n" to "lf.txt"
    And the agent deletes "mixed.txt"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "crlf.txt" has the exact bytes "one\r\ntwo\r\n"
    And the file "lf.txt" has the exact bytes "one\ntwo\n"
    And the file "mixed.txt" has the exact bytes "one\r\ntwo\n"

    Examples:
      | setting              | key           | value |
      | core.autocrlf=true   | core.autocrlf | true  |
      | core.autocrlf=input  | core.autocrlf | input |
      | core.eol=crlf        | core.eol      | crlf  |

  Scenario Outline: line endings come back byte for byte with the attribute <attribute>
    Given the agent writes "* <attribute>\n" to ".gitattributes"
    And the agent stages ".gitattributes"
    And the agent commits with the message "attributes"
    And a file "crlf.txt" with the content "one\r\ntwo\r\n"
    And a file "lf.txt" with the content "one\ntwo\n"
    And an active plan
    And the agent writes "rewritten\n" to "crlf.txt"
    And the agent writes "rewritten\n" to "lf.txt"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "crlf.txt" has the exact bytes "one\r\ntwo\r\n"
    And the file "lf.txt" has the exact bytes "one\ntwo\n"

    Examples:
      | attribute |
      | text=auto |
      | eol=crlf  |
      | -text     |

  Scenario: a clean/smudge filter does not alter what comes back
    Given the repository has the git config "filter.shout.clean" set to "tr a-z A-Z"
    And the repository has the git config "filter.shout.smudge" set to "tr A-Z a-z"
    And the agent writes "*.dat filter=shout\n" to ".gitattributes"
    And a file "data.dat" with the content "Mixed Case Bytes\n"
    And an active plan
    And the agent writes "changed\n" to "data.dat"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "data.dat" has the exact bytes "Mixed Case Bytes\n"

  Scenario: exec bits, symlinks (to a file, to a directory, dangling) and their removal
    Given a file "bin/run.sh" with the content "#!/bin/sh\n"
    And the agent makes "bin/run.sh" executable
    And the agent creates a symlink "to-file" pointing to "README.md"
    And the agent creates a symlink "to-dir" pointing to "bin"
    And the agent creates a symlink "dangling" pointing to "nowhere"
    And an active plan
    And I note the state of the sandbox as "start"
    And the agent writes "#!/bin/sh\necho changed\n" to "bin/run.sh"
    And the agent deletes "to-file"
    And the agent deletes "to-dir"
    And the agent deletes "dangling"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "bin/run.sh" is executable
    And "to-file" is a symlink to "README.md"
    And "to-dir" is a symlink to "bin"
    And "dangling" is a symlink to "nowhere"
    And every file is as in the state "start"

  Scenario: a file replaced by a directory, and a directory replaced by a file
    Given a file "thing" with the content "a file\n"
    And a file "folder/inside.txt" with the content "inside\n"
    And an active plan
    And I note the state of the sandbox as "start"
    And the agent deletes "thing"
    And the agent writes "now a directory\n" to "thing/child.txt"
    And the agent deletes "folder"
    And the agent writes "now a file\n" to "folder"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the sandbox matches the state "start"

  Scenario: deep new directory trees go away with their emptied directories
    Given an active plan
    And the agent writes "deep\n" to "a/b/c/d/e/f/deep.txt"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And "a" does not exist

  Scenario: odd paths — spaces, unicode, a leading dash, a newline, a very long name — binary and empty files
    Given a file "with space.txt" with the content "s\n"
    And a file "ünï cødé ✓.txt" with the content "u\n"
    And a file "-leading-dash.txt" with the content "d\n"
    And a file "new\nline.txt" with the content "n\n"
    And a file "dir/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.txt" with the content "long\n"
    And a file "binary.bin" with the content "\u0000\u0001\u00ff\u0000"
    And a file "empty.txt" with the content ""
    And an active plan
    And I note the state of the sandbox as "start"
    And the agent deletes "with space.txt"
    And the agent writes "x" to "ünï cødé ✓.txt"
    And the agent deletes "-leading-dash.txt"
    And the agent deletes "new\nline.txt"
    And the agent writes "y" to "binary.bin"
    And the agent writes "z" to "empty.txt"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the sandbox matches the state "start"

  Scenario: an untracked file over the size cap is skipped at checkpoint time and left alone by rollback
    Given the environment variable SAVEPOINT_UNTRACKED_SIZE_CAP is "1000"
    And an active plan
    And a file "dataset.bin" of 5000 bytes
    When I run "savepoint checkpoint create --plan <plan> --json"
    Then the run succeeds
    And the JSON "skippedPaths" is [{"path":"dataset.bin","reason":"too-large","sizeBytes":5000}]
    When I run "savepoint checkpoint create --plan <plan>"
    Then stderr contains "skipped dataset.bin"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "dataset.bin" still exists

  Scenario: a file ignored now but not at checkpoint time stops the rollback instead of being overwritten
    Given an active plan
    And a file "gen/config.json" with the content "generated v1\n"
    And the agent takes a checkpoint "with config"
    And the agent deletes "gen/config.json"
    And the agent writes "*.log\ngen/\n" to ".gitignore"
    And the agent writes "hand-edited, ignored\n" to "gen/config.json"
    And I note the state of the sandbox
    When I run "savepoint plan rollback <plan> <checkpoint:with config> --yes --json"
    Then it fails with exit code 4 and error code "PATH_IN_THE_WAY"
    And the error details "reason" is "untracked"
    And the sandbox is unchanged

  Scenario: --force moves the ignored file aside and reports where
    Given an active plan
    And a file "gen/config.json" with the content "generated v1\n"
    And the agent takes a checkpoint "with config"
    And the agent deletes "gen/config.json"
    And the agent writes "*.log\ngen/\n" to ".gitignore"
    And the agent writes "hand-edited, ignored\n" to "gen/config.json"
    When I run "savepoint plan rollback <plan> <checkpoint:with config> --yes --force --json"
    Then the run succeeds
    And the file "gen/config.json" has the content "generated v1\n"
    And the JSON "movedAside" names "gen/config.json" as moved aside with its content "hand-edited, ignored\n"

  Scenario: a file ignored at checkpoint time but not now is left on disk
    Given a file "debug.log" with the content "precious\n"
    And an active plan
    And the agent writes "" to ".gitignore"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
    Then the run succeeds
    And the JSON "preserved" is ["debug.log"]
    And the file "debug.log" has the content "precious\n"
    And the file ".gitignore" has the content "*.log\n"

  Scenario: .gitignore itself deleted, then restored
    Given an active plan
    And a file "notes.log" with the content "ignored notes\n"
    And the agent deletes ".gitignore"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
    Then the run succeeds
    And the file ".gitignore" has the content "*.log\n"
    And the file "notes.log" has the content "ignored notes\n"

  Scenario: ignored files are never touched
    Given a file "build.log" with the content "log before\n"
    And an active plan
    And the agent writes "log after\n" to "build.log"
    And the agent writes "change\n" to "README.md"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "build.log" has the content "log after\n"
    And the file "README.md" has the content "# repo\n"

  Scenario: a nested repository is never entered, renamed, deleted or rewritten
    Given an active plan
    And an untracked nested repository in "vendor/lib"
    And I note the state of the sandbox
    When I run "savepoint checkpoint create --plan <plan> --json"
    Then the run succeeds
    And the JSON "skippedPaths" is [{"path":"vendor/lib","reason":"nested-repository"}]
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
    Then the run succeeds
    And the JSON "skippedPaths" is [{"path":"vendor/lib","reason":"nested-repository"}]
    And the sandbox is unchanged

  Scenario: a directory holding a .git file counts as a nested repository too
    Given an active plan
    And a file "worktree-like/.git" with the content "gitdir: /nowhere\n"
    And a file "worktree-like/file.txt" with the content "theirs\n"
    When I run "savepoint checkpoint create --plan <plan> --json"
    Then the run succeeds
    And the JSON "skippedPaths" is [{"path":"worktree-like","reason":"nested-repository"}]

  Scenario: a submodule's files are never entered, and it is reported as skipped
    Given a submodule in "mod"
    And an active plan
    And the agent writes "local change\n" to "mod/sub.txt"
    When I run "savepoint checkpoint create --plan <plan> --json"
    Then the run succeeds
    And the JSON "skippedPaths" is [{"path":"mod","reason":"submodule"}]
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "mod/sub.txt" has the content "local change\n"

  Scenario: a detached HEAD
    Given HEAD is detached at the current commit
    And an active plan
    And the agent writes "change\n" to "README.md"
    And the agent stages everything
    And the agent commits with the message "on a detached HEAD"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "README.md" has the content "# repo\n"

  Scenario: a linked worktree
    Given an active plan on a linked worktree
    And the agent writes "worktree change\n" to "<sandbox>/README.md"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "<sandbox>/README.md" has the content "# repo\n"

  Scenario: a merge in progress with conflicts is refused, clearly
    Given an active plan
    And an unresolved merge conflict in "README.md"
    When I run "savepoint checkpoint create --plan <plan>"
    Then it fails with exit code 4 and error code "INDEX_UNMERGED"
    And stderr contains "unresolved merge conflicts"

  Scenario: a sparse checkout keeps its sparse files out of the worktree
    Given the repository has these committed files:
      | path          | content  |
      | kept/a.txt    | a\n      |
      | hidden/b.txt  | b\n      |
    And the repository has a sparse checkout of "kept"
    And an active plan
    And the agent writes "changed\n" to "kept/a.txt"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "kept/a.txt" has the content "a\n"
    And "hidden/b.txt" does not exist

  Scenario: core.fileMode=false still restores exec bits as they were on disk
    Given the repository has the git config "core.fileMode" set to "false"
    And a file "tool.sh" with the content "#!/bin/sh\n"
    And the agent makes "tool.sh" executable
    And an active plan
    And the agent deletes "tool.sh"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "tool.sh" is executable

  Scenario: checkpoints survive git gc --prune=now and reflog expiry
    Given an active plan
    And the agent writes "change\n" to "README.md"
    And all unreachable objects are pruned from the repository
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "README.md" has the content "# repo\n"

  Rule: in a repository with no commits yet

  Scenario: an unborn HEAD
    Given a git repository with no commits
    And a file "first.txt" with the content "first\n"
    And an active plan
    And the agent writes "second\n" to "first.txt"
    And the agent stages everything
    And the agent commits with the message "first commit"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "first.txt" has the content "first\n"
    And "git branch" prints nothing

  Rule: refusals around fidelity, in both output modes

  Background:
    Given a git repository
    And the repository has these committed files:
      | path      | content  |
      | README.md | # repo\n |

  Scenario Outline: a nested repository where the checkpoint has files is never moved, even with --force (<output>)
    Given an active plan
    And a file "vendor/lib/file.txt" with the content "ours\n"
    And the agent takes a checkpoint "with vendor"
    And the agent deletes "vendor/lib"
    And an untracked nested repository in "vendor/lib"
    And I note the state of the sandbox
    When I run "savepoint plan rollback <plan> <checkpoint:with vendor> --yes --force" <output>
    Then it fails with exit code 4 and error code "PATH_IN_THE_WAY"
    And the sandbox is unchanged

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario Outline: a size cap that is not a number of bytes is a usage error and changes nothing (<output>)
    Given an active plan
    And the environment variable SAVEPOINT_UNTRACKED_SIZE_CAP is "lots"
    And the agent writes "change\n" to "README.md"
    And I note the state of the sandbox
    When I run "savepoint checkpoint create --plan <plan>" <output>
    Then it fails with exit code 2 and error code "USAGE"
    And the sandbox is unchanged

    Examples:
      | output        |
      | in human mode |
      | with --json   |
