Feature: Nothing outside the sandbox is touched
  A repository that contains a user's home directory (like /home) is never a sandbox: a
  rollback there could rewrite files far outside any project.

  Background:
    Given a git repository

  Scenario Outline: a directory that contains a home directory is never a sandbox (<output>)
    Given a file "users/alice/.profile" with the content "export A=1"
    And the environment variable HOME is "<repo>/users/alice"
    When I run "savepoint plan create" <output>
    Then it fails with exit code 5 and error code "SANDBOX_REFUSED"
    And the error message contains "contains the home directory"

    Examples:
      | output        |
      | in human mode |
      | with --json   |
