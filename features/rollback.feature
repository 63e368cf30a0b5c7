Feature: Rollback
  `plan rollback <plan> <checkpoint>` restores a plan's sandbox to one of its checkpoints:
  every non-ignored file byte for byte, the index as it was staged, HEAD on its branch.
  It first takes a safety checkpoint of the current state, so every rollback can itself
  be undone. Every guard runs before anything changes, and a refused rollback leaves the
  sandbox exactly as it was.

  Rule: a rollback restores every file, the index and HEAD

    Background: an agent worked for a while after the plan started
      Given a git repository
      And the repository has these committed files:
        | path       | content              |
        | src/app.js | console.log('v1');\n |
        | run.sh     | echo hello\n         |
        | old.txt    | legacy\n             |
        | .gitignore | build/\n*.log\n      |
      And a file "build/out.log" with the content "first build\n"
      And an active plan
      And I note the state of the sandbox as "start"
      And the agent writes "console.log('v2');\n" to "src/app.js"
      And the agent writes "new\n" to "new.txt"
      And the agent deletes "old.txt"
      And the agent makes "run.sh" executable
      And the agent creates a symlink "link" pointing to "src/app.js"
      And the agent writes "export const help = 1;\n" to "lib/util/helper.js"
      And the agent writes "naïve café\n" to "my notes é ü.txt"
      And the agent stages "new.txt"
      And the agent stages "src/app.js"
      And the agent commits with the message "agent work"
      And the agent writes "console.log('v3');\n" to "src/app.js"
      And the agent stages "my notes é ü.txt"
      And the agent appends "agent build\n" to "build/out.log"
      And I note the state of the sandbox as "agent's work"

    Scenario: rolling back to checkpoint #1 brings back the starting state byte for byte
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
      Then the run succeeds
      And the sandbox matches the state "start" except "build/out.log"
      And "link" does not exist
      And "lib" does not exist
      And the file "old.txt" has the content "legacy\n"
      And the file "run.sh" is not executable
      And the index has no staged changes
      And HEAD is on the branch "main"
      And "git rev-parse HEAD" prints the same as in the state "start"
      And "git status --porcelain" prints nothing

    Scenario: the JSON report counts and lists what was restored
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
      Then the run succeeds
      And the JSON has the keys "restored, paths, safetyCheckpointId, dryRun, durationMs"
      And the JSON "restored" is {"added": 1, "modified": 2, "deleted": 4, "total": 7}
      And the JSON "paths" lists these changes:
        | path               | change   |
        | old.txt            | added    |
        | src/app.js         | modified |
        | run.sh             | modified |
        | new.txt            | deleted  |
        | link               | deleted  |
        | lib/util/helper.js | deleted  |
        | my notes é ü.txt   | deleted  |
      And the JSON "safetyCheckpointId" is a ULID
      And the JSON "dryRun" is false
      And the JSON "durationMs" is a number
      And the plan has 2 checkpoints
      And the plan's latest checkpoint is a "safety" checkpoint

    Scenario: ignored files are never touched
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
      Then the run succeeds
      And the file "build/out.log" has the content "first build\nagent build\n"

    Scenario: in human mode the rollback shows the counts, the paths and the undo handle
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
      Then the run succeeds
      And stdout contains "Rolled back plan <plan> to checkpoint <checkpoint:first>"
      And stdout contains "7 files: 1 added, 2 modified, 4 deleted"
      And stdout contains "A  old.txt"
      And stdout contains "D  my notes é ü.txt"
      And stdout contains "M  run.sh"
      And the safety checkpoint on stdout is the latest checkpoint of the plan
      And stdout contains "undo with: savepoint plan rollback <plan>"
      And the sandbox matches the state "start" except "build/out.log"

    Scenario: rolling back to the safety checkpoint undoes the rollback exactly
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
      Then the run succeeds
      When I run "savepoint plan rollback <plan> <checkpoint:safety> --yes --json"
      Then the run succeeds
      And the JSON "restored" is {"added": 4, "modified": 2, "deleted": 1, "total": 7}
      And the sandbox matches the state "agent's work"
      And the staged files are "my notes é ü.txt"
      And "link" is a symlink to "src/app.js"
      And the file "run.sh" is executable

    Scenario: --dry-run shows the preview and changes nothing
      When I run "savepoint plan rollback <plan> <checkpoint:first> --dry-run --json"
      Then the run succeeds
      And the JSON "dryRun" is true
      And the JSON "safetyCheckpointId" is null
      And the JSON "restored" is {"added": 1, "modified": 2, "deleted": 4, "total": 7}
      And the JSON "paths" has 7 items
      When I run "savepoint plan rollback <plan> <checkpoint:first> --dry-run"
      Then the run succeeds
      And stdout contains "Dry run: rolling back plan <plan> to checkpoint <checkpoint:first> would restore"
      And stdout contains "7 files: 1 added, 2 modified, 4 deleted"
      And stdout contains "Nothing was changed."
      And the sandbox matches the state "agent's work"
      And the plan has 1 checkpoint

    Scenario Outline: off a terminal a rollback needs --yes (<output>)
      When I run "savepoint plan rollback <plan> <checkpoint:first>" <output>
      Then it fails with exit code 8 and error code "CONFIRMATION_REQUIRED"
      And the error message contains "pass --yes"
      And the sandbox matches the state "agent's work"
      And the plan has 1 checkpoint

      Examples:
        | output        |
        | in human mode |
        | with --json   |

  Rule: the staged state recorded by the checkpoint comes back

    Scenario: a checkpoint taken with staged and unstaged changes restores both
      Given a git repository
      And the repository has these committed files:
        | path    | content |
        | a.txt   | a1\n    |
        | b.txt   | b1\n    |
      And an active plan
      And the agent writes "a2 staged\n" to "a.txt"
      And the agent stages "a.txt"
      And the agent writes "b2 not staged\n" to "b.txt"
      And the agent takes a checkpoint "mixed"
      And I note the state of the sandbox as "mixed"
      And the agent stages everything
      And the agent commits with the message "more work"
      And the agent writes "a3\n" to "a.txt"
      When I run "savepoint plan rollback <plan> <checkpoint:mixed> --yes --json"
      Then the run succeeds
      And the sandbox matches the state "mixed"
      And the staged files are "a.txt"
      And the file "b.txt" has the content "b2 not staged\n"

    Scenario: a rollback on a repository that had no commit yet makes the branch unborn again
      Given a git repository with no commits
      And a file "a.txt" with the content "draft\n"
      And an active plan
      And I note the state of the sandbox as "start"
      And the agent stages everything
      And the agent commits with the message "first commit"
      And the agent writes "more\n" to "b.txt"
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
      Then the run succeeds
      And the sandbox matches the state "start"
      And "git rev-parse HEAD" prints "(exit 1)"

  Rule: every guard refuses before anything changes

    Background:
      Given a git repository
      And the repository has these committed files:
        | path       | content              |
        | src/app.js | console.log('v1');\n |
      And an active plan
      And the agent writes "console.log('v2');\n" to "src/app.js"
      And the agent writes "scratch\n" to "scratch.txt"
      And I note the state of the sandbox

    Scenario Outline: an unknown plan (<output>)
      When I run "savepoint plan rollback 01ARZ3NDEKTSV4RRFFQ69G5FAV <checkpoint:first> --yes" <output>
      Then it fails with exit code 3 and error code "PLAN_NOT_FOUND"
      And the sandbox is unchanged

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: an unknown checkpoint (<output>)
      When I run "savepoint plan rollback <plan> 01ARZ3NDEKTSV4RRFFQ69G5FAV --yes" <output>
      Then it fails with exit code 3 and error code "CHECKPOINT_NOT_FOUND"
      And the sandbox is unchanged
      And the plan has 1 checkpoint

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: a checkpoint of another plan (<output>)
      Given a second plan "other" on a linked worktree
      And I note the state of the sandbox
      When I run "savepoint plan rollback <plan> <checkpoint:first of other> --yes" <output>
      Then it fails with exit code 4 and error code "CHECKPOINT_NOT_IN_PLAN"
      And the error message contains "belongs to plan <plan:other>, not <plan>"
      And the sandbox is unchanged
      And the plan has 1 checkpoint

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: a plan that is <ended> (<output>)
      Given the plan is <ended>
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes" <output>
      Then it fails with exit code 4 and error code "PLAN_NOT_ACTIVE"
      And the error message contains "cannot roll back: plan <plan> is <ended>"
      And the sandbox is unchanged

      Examples:
        | output        | ended     |
        | in human mode | applied   |
        | with --json   | applied   |
        | in human mode | abandoned |
        | with --json   | abandoned |

    @leaves-damage
    Scenario Outline: the checkpoint's ref was deleted (<output>)
      When the ref of checkpoint "first" is deleted
      And I run "savepoint plan rollback <plan> <checkpoint:first> --yes" <output>
      Then it fails with exit code 9 and error code "CHECKPOINT_OBJECTS_MISSING"
      And the error message contains "refs/savepoint/<plan>/<checkpoint:first> is missing"
      And the sandbox is unchanged
      And the plan has 1 checkpoint

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: another git process holds the index lock (<output>)
      Given another git process holds the index lock
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes" <output>
      Then it fails with exit code 6 and error code "BUSY"
      And the error message contains "index lock"
      And the sandbox is unchanged
      And the plan has 1 checkpoint

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario: a busy sandbox can be rolled back once the lock is released
      Given another git process holds the index lock
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
      Then it fails with exit code 6 and error code "BUSY"
      When the index lock is released
      And I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
      Then the run succeeds
      And "scratch.txt" does not exist

    Scenario Outline: HEAD is on another branch than the checkpoint recorded (<output>)
      Given the agent switches to a new branch "experiment"
      And the agent stages everything
      And the agent commits with the message "experiment"
      And I note the state of the sandbox
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes" <output>
      Then it fails with exit code 4 and error code "HEAD_MOVED"
      And the error message contains "HEAD is on refs/heads/experiment but the checkpoint was taken on refs/heads/main"
      And the sandbox is unchanged
      And the plan has 1 checkpoint

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario: --head keep restores files and index but leaves HEAD on the other branch
      Given I note the state of the sandbox as "start"
      And the agent switches to a new branch "experiment"
      And the agent stages everything
      And the agent commits with the message "experiment"
      And I note the state of the sandbox as "experiment"
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --head keep --json"
      Then the run succeeds
      And the JSON "head.action" is "kept"
      And HEAD is on the branch "experiment"
      And "git rev-parse HEAD" prints the same as in the state "experiment"
      And "git branch" prints the same as in the state "experiment"
      And the file "src/app.js" has the content "console.log('v1');\n"
      And "scratch.txt" does not exist

    Scenario Outline: an ignored file sits where the checkpoint has a file (<output>)
      Given the agent writes "generated v1\n" to "gen/config.json"
      And the agent takes a checkpoint "with config"
      And the agent deletes "gen/config.json"
      And the agent appends "gen/\n" to ".gitignore"
      And the agent writes "local secret\n" to "gen/config.json"
      And I note the state of the sandbox
      When I run "savepoint plan rollback <plan> <checkpoint:with config> --yes" <output>
      Then it fails with exit code 4 and error code "PATH_IN_THE_WAY"
      And the error message contains "gen/config.json"
      And the file "gen/config.json" has the content "local secret\n"
      And the sandbox is unchanged

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: usage errors (<output>: <args>)
      When I run "savepoint plan rollback <args>" <output>
      Then it fails with exit code 2 and error code "USAGE"
      And the error message contains "<message>"
      And the sandbox is unchanged

      Examples:
        | output        | args                                              | message                                         |
        | in human mode | <plan> <checkpoint:first> --yes --head nonsense   | Expected --head=nonsense to be one of           |
        | with --json   | <plan> <checkpoint:first> --yes --head nonsense   | Expected --head=nonsense to be one of           |
        | in human mode | <plan>                                            | Missing 1 required arg                          |
        | with --json   | <plan>                                            | Missing 1 required arg                          |

  Rule: a sandbox that is gone or replaced is refused

    Scenario Outline: the sandbox directory was removed (<output>)
      Given a git repository
      And savepoint keeps its database in "<tmp>/state.db"
      And an active plan
      When the repository directory is deleted
      And I run "savepoint plan rollback <plan> <checkpoint:first> --yes" <output>
      Then it fails with exit code 5 and error code "SANDBOX_INVALID"
      And the error message contains "is gone"
      And "<repo>" does not exist

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: a linked worktree sandbox was replaced by another repository (<output>)
      Given a git repository
      And an active plan on a linked worktree
      When the plan's sandbox is replaced by another repository at the same path
      And I note the state of the plan's sandbox
      And I run "savepoint plan rollback <plan> <checkpoint:first> --yes" <output>
      Then it fails with exit code 5 and error code "SANDBOX_INVALID"
      And the error message contains "is no longer the worktree plan <plan> was made for"
      And the sandbox is unchanged

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: the repository was replaced by another one at the same path (<output>)
      Given a git repository
      And savepoint keeps its database in "<tmp>/state.db"
      And an active plan
      When the plan's sandbox is replaced by another repository at the same path
      And I note the state of the sandbox
      And I run "savepoint plan rollback <plan> <checkpoint:first> --yes" <output>
      Then it fails with exit code 5 and error code "SANDBOX_INVALID"
      And the sandbox is unchanged

      Examples:
        | output        |
        | in human mode |
        | with --json   |

  Rule: what rollback writes is exactly what was on disk

    Scenario: CRLF line endings survive a round trip under core.autocrlf=input
      Given a git repository
      And the repository has the git config "core.autocrlf" set to "input"
      And a file "crlf.txt" with the content "line 1\r\nline 2\r\n"
      And an active plan
      And I note the state of the sandbox as "start"
      And the agent writes "rewritten\n" to "crlf.txt"
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
      Then the run succeeds
      And every file is as in the state "start"

    Scenario: a file that was ignored at checkpoint time is not deleted when un-ignored
      Given a git repository
      And the repository has these committed files:
        | path       | content      |
        | .gitignore | debug.txt\n  |
      And a file "debug.txt" with the content "precious\n"
      And an active plan
      And the agent writes "" to ".gitignore"
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
      Then the run succeeds
      And the JSON "preserved" is ["debug.txt"]
      And the file "debug.txt" has the content "precious\n"
