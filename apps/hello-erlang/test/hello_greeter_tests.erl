-module(hello_greeter_tests).
-include_lib("eunit/include/eunit.hrl").

format_first_test() ->
    ?assertEqual(<<"Hello, Ada!">>, hello_greeter:format_greeting(<<"Hello">>, {<<"Ada">>, 1})).

format_again_test() ->
    ?assertEqual(<<"Hi again, Joe (3 times)">>, hello_greeter:format_greeting(<<"Hi">>, {<<"Joe">>, 3})).

greeter_test_() ->
    {setup,
     fun() -> {ok, Pid} = hello_greeter:start_link(<<"Hello">>), unlink(Pid), Pid end,
     fun(_) -> hello_greeter:stop() end,
     [?_assertEqual(<<"Hello, Ada!">>, hello_greeter:greet(<<"Ada">>)),
      ?_assertEqual(<<"Hello again, Ada (2 times)">>, hello_greeter:greet(<<"Ada">>)),
      ?_assertEqual(2, hello_greeter:count(<<"Ada">>)),
      ?_assertEqual(0, hello_greeter:count(<<"Grace">>)),
      ?_assertError(badarg, hello_greeter:greet(<<>>))]}.

application_test_() ->
    {setup,
     fun() -> {ok, Apps} = application:ensure_all_started(hello_erlang), Apps end,
     fun(Apps) -> [application:stop(A) || A <- lists:reverse(Apps)] end,
     [?_assert(is_pid(whereis(hello_greeter))),
      ?_assertEqual(<<"Hello, Linus!">>, hello_greeter:greet(<<"Linus">>))]}.
