Feature: Plans
  A plan is a unit of agent work on one sandbox (a git worktree). Creating it takes
  checkpoint #1 of the starting state; applying or abandoning it ends it. At most one
  plan per sandbox is active. The plans live in a SQLite database that savepoint owns and
  refuses to mistake for anyone else's.

  Background:
    Given a git repository

  # ------------------------------------------------------------------ plan create

  Scenario: creating a plan on the worktree of the current directory
    When I run "savepoint plan create --name demo --json"
    Then the run succeeds
    And the JSON has the keys "planId, sandboxPath, state, checkpointId"
    And the JSON "planId" is a ULID
    And the JSON "sandboxPath" is "<repo>"
    And the JSON "state" is "active"
    And the JSON "name" is "demo"
    And the JSON "checkpointId" is a ULID

  Scenario: the new plan starts with checkpoint #1, its starting state
    When I run "savepoint plan create --json"
    Then the run succeeds
    When I run "savepoint checkpoint list --plan <plan> --json"
    Then the run succeeds
    And the JSON "checkpoints" has 1 item
    And the JSON "checkpoints[0].checkpointId" is "<checkpoint:first>"
    And the JSON "checkpoints[0].seq" is 1
    And the JSON "checkpoints[0].metadata.kind" is "initial"
    And the ref of checkpoint "first" exists

  Scenario: creating a plan in human mode says what it made
    When I run "savepoint plan create --name demo"
    Then the run succeeds
    And stdout contains "Created plan"
    And stdout contains "demo"
    And stdout contains "<repo>"
    And stdout contains "#1"

  Scenario: a plan created from a subdirectory works on the whole worktree
    Given the repository has these committed files:
      | path             | content    |
      | src/deep/main.js | let a = 1; |
    When I run "savepoint plan create --json" in "<repo>/src/deep"
    Then the run succeeds
    And the JSON "sandboxPath" is "<repo>"

  Scenario: --sandbox pointing at a subdirectory resolves to the worktree's top level
    Given the repository has these committed files:
      | path             | content    |
      | src/deep/main.js | let a = 1; |
    When I run "savepoint plan create --sandbox <repo>/src/deep --json" in "<tmp>"
    Then the run succeeds
    And the JSON "sandboxPath" is "<repo>"

  Scenario Outline: a directory that is not a git worktree is not a sandbox (<output>)
    Given an empty directory "<tmp>/not-a-repo"
    When I run "savepoint plan create --sandbox <tmp>/not-a-repo" <output>
    Then it fails with exit code 5 and error code "SANDBOX_INVALID"
    And the error message contains "is not inside a git worktree"

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario Outline: a sandbox that does not exist is refused (<output>)
    When I run "savepoint plan create --sandbox <tmp>/nowhere --db <tmp>/state.db" <output>
    Then it fails with exit code 5 and error code "SANDBOX_INVALID"
    And the error message contains "does not exist"

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario Outline: the home directory is never a sandbox (<output>)
    Given the environment variable HOME is "<repo>"
    When I run "savepoint plan create" <output>
    Then it fails with exit code 5 and error code "SANDBOX_REFUSED"
    And the error message contains "home directory"

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario Outline: a sandbox holds one active plan at a time (<output>)
    Given an active plan
    When I run "savepoint plan create" <output>
    Then it fails with exit code 4 and error code "PLAN_ACTIVE_EXISTS"
    And the error message contains "already has active plan <plan>"
    When I run "savepoint plan list --state active --json"
    Then the run succeeds
    And the JSON "plans" has 1 item

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario: once the plan is applied, the sandbox takes a new plan
    Given an active plan
    And the plan is applied
    When I run "savepoint plan create --json"
    Then the run succeeds
    And the JSON "state" is "active"

  Scenario: --worktree isolates the plan in a linked worktree on its own branch
    When I run "savepoint plan create --worktree --json"
    Then the run succeeds
    And the JSON "sandboxPath" is not "<repo>"
    And the JSON "managedWorktree" is true
    And the plan's sandbox is a linked worktree on the branch "savepoint/<plan>"
    And HEAD is on the branch "main"
    And "git status --porcelain" prints nothing

  Scenario: a --worktree plan leaves the main worktree free for a plan of its own
    Given an active plan on a linked worktree
    When I run "savepoint plan create --json"
    Then the run succeeds
    And the JSON "sandboxPath" is "<repo>"

  Scenario: --worktree-path puts the linked worktree where asked
    When I run "savepoint plan create --worktree-path <tmp>/agent-tree --json"
    Then the run succeeds
    And the JSON "sandboxPath" is "<tmp>/agent-tree"
    And the plan's sandbox is a linked worktree on the branch "savepoint/<plan>"

  # ------------------------------------------------------------------ plan list / show

  Scenario: plan list shows every plan, --state filters
    Given an active plan
    And the plan is applied
    And an active plan
    When I run "savepoint plan list --json"
    Then the run succeeds
    And the JSON "plans" has 2 items
    And the JSON "plans[0]" has the keys "planId, state"
    And the JSON "plans" lists "state" as ["applied", "active"]
    When I run "savepoint plan list --state active --json"
    Then the run succeeds
    And the JSON "plans" lists "planId" as ["<plan>"]
    When I run "savepoint plan list --state abandoned --json"
    Then the run succeeds
    And the JSON "plans" has 0 items

  Scenario: plan list in human mode is a table
    Given an active plan
    When I run "savepoint plan list"
    Then the run succeeds
    And stdout contains "PLAN"
    And stdout contains "<plan>"
    And stdout contains "active"

  Scenario: plan list with no plans says so
    When I run "savepoint plan list"
    Then the run succeeds
    And stdout contains "No plans."

  Scenario: plan show tells the state and the checkpoints
    Given an active plan
    When I run "savepoint plan show <plan> --json"
    Then the run succeeds
    And the JSON "planId" is "<plan>"
    And the JSON "state" is "active"
    And the JSON "checkpointCount" is 1
    And the JSON "latestCheckpoint.checkpointId" is "<checkpoint:first>"
    When I run "savepoint plan show <plan>"
    Then the run succeeds
    And stdout contains "<plan>"
    And stdout contains "<repo>"

  Scenario Outline: showing an unknown plan is "not found" (<output>)
    When I run "savepoint plan show 01ARZ3NDEKTSV4RRFFQ69G5FAV" <output>
    Then it fails with exit code 3 and error code "PLAN_NOT_FOUND"
    And the error message contains "plan 01ARZ3NDEKTSV4RRFFQ69G5FAV not found"

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  # ------------------------------------------------------------------ plan apply / abandon

  Scenario: applying a plan takes a final checkpoint and leaves the files as they are
    Given an active plan
    And the agent writes "new work\n" to "work.txt"
    And I note the state of the sandbox
    When I run "savepoint plan apply <plan> --json"
    Then the run succeeds
    And the JSON "state" is "applied"
    And the JSON "appliedAt" is an ISO timestamp
    And the JSON "finalCheckpointId" is a ULID
    And the JSON "finalCheckpointId" is not "<checkpoint:first>"
    And the JSON "deduplicated" is false
    And the sandbox is unchanged
    And the plan has 2 checkpoints
    And the plan's latest checkpoint is a "final" checkpoint

  Scenario: applying an unchanged plan reuses the latest checkpoint as the final one
    Given an active plan
    When I run "savepoint plan apply <plan>"
    Then the run succeeds
    And stdout contains "Applied plan <plan>"
    And stdout contains "no change since it"
    And the plan is "applied"
    And the plan has 1 checkpoint

  Scenario Outline: an applied plan cannot be applied again (<output>)
    Given an active plan
    And the plan is applied
    When I run "savepoint plan apply <plan>" <output>
    Then it fails with exit code 4 and error code "PLAN_NOT_ACTIVE"
    And the error message contains "plan <plan> is applied"
    And the plan has 1 checkpoint

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario Outline: applying an unknown plan is "not found" (<output>)
    When I run "savepoint plan apply 01ARZ3NDEKTSV4RRFFQ69G5FAV" <output>
    Then it fails with exit code 3 and error code "PLAN_NOT_FOUND"

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario: abandoning a plan leaves the sandbox as it is
    Given an active plan
    And the agent writes "half done\n" to "work.txt"
    And I note the state of the sandbox
    When I run "savepoint plan abandon <plan> --json"
    Then the run succeeds
    And the JSON "state" is "abandoned"
    And the sandbox is unchanged
    When I run "savepoint plan abandon <plan>" in human mode
    Then it fails with exit code 4 and error code "PLAN_NOT_ACTIVE"

  Scenario: abandoning in human mode says so
    Given an active plan
    When I run "savepoint plan abandon <plan>"
    Then the run succeeds
    And stdout contains "Abandoned plan <plan>"

  Scenario Outline: an abandoned plan can be neither abandoned nor applied (<output>)
    Given an active plan
    And the plan is abandoned
    When I run "savepoint plan abandon <plan>" <output>
    Then it fails with exit code 4 and error code "PLAN_NOT_ACTIVE"
    And the error message contains "plan <plan> is abandoned"
    When I run "savepoint plan apply <plan>" <output>
    Then it fails with exit code 4 and error code "PLAN_NOT_ACTIVE"
    And the plan is "abandoned"

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  # ------------------------------------------------------------------ usage

  Scenario Outline: usage errors exit 2 (<output>: <command>)
    When I run "<command>" <output>
    Then it fails with exit code 2 and error code "USAGE"
    And the error message contains "<message>"

    Examples:
      | output        | command                                   | message                                 |
      | in human mode | savepoint plan show                       | Missing 1 required arg                  |
      | with --json   | savepoint plan show                       | Missing 1 required arg                  |
      | in human mode | savepoint plan apply                      | Missing 1 required arg                  |
      | with --json   | savepoint plan abandon                    | Missing 1 required arg                  |
      | in human mode | savepoint plan list --state finished      | Expected --state=finished to be one of  |
      | with --json   | savepoint plan list --state finished      | Expected --state=finished to be one of  |
      | in human mode | savepoint plan create --frobnicate        | Nonexistent flag: --frobnicate          |
      | with --json   | savepoint plan create --frobnicate        | Nonexistent flag: --frobnicate          |

  # ------------------------------------------------------------------ the store

  Scenario Outline: a SQLite database of another application is refused and left alone (<output>)
    Given a SQLite database "<tmp>/contacts.db" made by another application
    When I run "savepoint plan list --db <tmp>/contacts.db" <output>
    Then it fails with exit code 9 and error code "STORE_FOREIGN"
    And the error message contains "is not a savepoint database"
    And the file "<tmp>/contacts.db" is byte-for-byte unchanged
    And "<tmp>/contacts.db-wal" does not exist

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario Outline: a file that is not SQLite is refused and left alone (<output>)
    Given a file "<tmp>/contacts.csv" that is not a SQLite database
    When I run "savepoint plan create --db <tmp>/contacts.csv" <output>
    Then it fails with exit code 9 and error code "STORE_FOREIGN"
    And the error message contains "is not a SQLite database"
    And the file "<tmp>/contacts.csv" is byte-for-byte unchanged

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario Outline: a database from a newer savepoint is refused (<output>)
    Given a savepoint database "<tmp>/state.db" whose schema version is 999
    When I run "savepoint plan list --db <tmp>/state.db" <output>
    Then it fails with exit code 9 and error code "STORE_TOO_NEW"
    And the error message contains "upgrade savepoint"
    And the file "<tmp>/state.db" is byte-for-byte unchanged

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario: SAVEPOINT_DB selects the database like --db
    Given savepoint keeps its database in "<tmp>/elsewhere.db"
    And an active plan
    When I run "savepoint plan list --json"
    Then the run succeeds
    And the JSON "plans" lists "planId" as ["<plan>"]
    And the file "<tmp>/elsewhere.db" exists
    And "<repo>/.git/savepoint/state.db" does not exist

  Scenario: by default the database lives in the repository's git directory
    Given an active plan
    Then the file "<repo>/.git/savepoint/state.db" exists

  Scenario Outline: outside any git repository there is no database to use (<output>)
    Given an empty directory "<tmp>/outside"
    When I run "savepoint plan list" in "<tmp>/outside" <output>
    Then it fails with exit code 5 and error code "SANDBOX_INVALID"
    And the error message contains "is not inside a git worktree"

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  # simple-git refuses to run git when EDITOR, PAGER, PREFIX or SSH_ASKPASS is set; savepoint
  # must not pass them on (it once failed every command with exit 5 when they were set).
  Scenario Outline: savepoint works when the user has <variable> set
    Given the environment variable <variable> is "<value>"
    When I run "savepoint plan create --json"
    Then the run succeeds
    And the JSON "sandboxPath" is "<repo>"

    Examples:
      | variable    | value                |
      | EDITOR      | vi                   |
      | VISUAL      | vi                   |
      | PAGER       | less                 |
      | PREFIX      | /usr/local           |
      | SSH_ASKPASS | /usr/bin/ssh-askpass |
